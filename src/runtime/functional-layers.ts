/** Functional forms of the layer ops (layer norms, embeddings, losses, 3-D and transposed convolutions). */
export {};
