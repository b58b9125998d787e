export { PollLoop } from './poll-loop';
export { fullJitterBackoff } from './backoff';
