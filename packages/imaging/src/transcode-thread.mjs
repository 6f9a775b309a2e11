// Bootstrap of the transcoding worker threads. A thread needs its own entry file whether the
// server runs through `node --import tsx`, as an esbuild bundle (scripts/bundle.ts: no loader in
// the process) or under vitest; registering tsx here loads the TypeScript entry in all three.
// Checked: a bundled thread entry would save about 10 MB per thread, and idle threads exit anyway.
import { register } from 'tsx/esm/api';

register();
const { default: transcodeThread } = await import('./transcode-thread.ts');
export default transcodeThread;
