"""Disagreements the suite has found and msport has not fixed yet (issue 14 stays open until this is empty).

Each is an msport bug or gap, named; the test still runs and is marked xfail(strict): it is reported as a
disagreement in RESULTS.md, and the day msport is fixed the test passes, strict xfail turns that into a failure,
and the entry must be removed here. Nothing in this list is a tolerance: the comparisons themselves are unchanged.
"""

EDGE = 'special values: MindSpore CPU gives {}; msport differs'
KNOWN = {
}
