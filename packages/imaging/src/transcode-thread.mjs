// Bootstrap of the transcoding worker threads. A worker inherits the parent's `--import tsx` in
// production, but not under test runners that load TypeScript their own way; registering tsx here
// makes the TypeScript entry load in both cases.
import { register } from 'tsx/esm/api';

register();
const { default: transcodeThread } = await import('./transcode-thread.ts');
export default transcodeThread;
