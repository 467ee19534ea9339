// The public API of greenpatch. Each module below is one concept.
export {};
