// Run by test/runtime/resident.test.ts with --expose-gc: a resident block freed by hand (`free`, or the end of the
// resident scope it was taken in) is never freed a second time by its finalizer, which would give away the block
// that took its place while that one is still in use (a streamed Llama's head weight was overwritten that way).
import { kernels } from '../../dist/runtime/kernels/index.js';

const tick = () => new Promise(r => setTimeout(r, 20));
const collect = async () => { for (let i = 0; i < 4; i++) { globalThis.gc(); await tick(); } };
const fail = m => { console.log('FAIL ' + m); process.exitCode = 1; };
const MiB = 1 << 20;

if (!kernels.residentBytes(16)) { console.log('SKIP no WebAssembly kernels'); process.exit(0); }
await collect();

// free(): the block goes at once, and its finalizer, run later, frees nothing
let a = kernels.residentBytes(MiB);
const offA = a.bytes.byteOffset;
a.free();
const b = kernels.residentBytes(MiB);
if (b.bytes.byteOffset !== offA) fail(`a freed block was not reused (${b.bytes.byteOffset} vs ${offA})`);
a = null;
await collect();
const c = kernels.residentBytes(MiB);
if (c.bytes.byteOffset === b.bytes.byteOffset) fail('the finalizer of a block freed by hand freed the block that took its place');

// a resident scope: what was taken in it goes at its end, though views on it are still reachable
kernels.beginResidentScope();
let d = kernels.residentBytes(MiB);
const offD = d.bytes.byteOffset;
kernels.endResidentScope();
const e = kernels.residentBytes(MiB);
if (e.bytes.byteOffset !== offD) fail(`a block taken in a resident scope was not freed at its end (${e.bytes.byteOffset} vs ${offD})`);
d = null;
await collect();
const f = kernels.residentBytes(MiB);
if (f.bytes.byteOffset === e.bytes.byteOffset) fail("the finalizer of a block freed at its scope's end freed the block that took its place");
if (!process.exitCode) console.log('resident: freed once, by hand or at the scope end');
// keep the live blocks reachable to the end
void [b, c, e, f];
