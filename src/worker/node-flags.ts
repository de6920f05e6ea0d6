/**
 * V8 settings the worker runs with: in the image's CMD, in `npm start`, and in `npm run bench` (tests hold the
 * three to this list). On a machine with plenty of memory V8 lets the heap grow to several times what is live
 * before collecting; with 10,000 flows the live heap is ~35 MB, yet RSS peaked near 400 MB. A heap that grows
 * by 20% at a time and 8 MB semi-spaces kept the peak at 175 MB for ~10% of throughput (bench/README.md).
 * Neither caps the heap, so a larger installation still gets the memory it needs.
 */
export const WORKER_NODE_FLAGS = ['--max-semi-space-size=8', '--heap-growing-percent=20'] as const;
