/** `npm run bench`: every benchmark, each reporting ratios against a baseline measured in the same run. */
import { main as foundation } from './foundation.js';
import { main as conversation } from './conversation.js';
import { main as knowledge } from './knowledge.js';
import { main as campaigns } from './campaigns.js';
import { main as voice } from './voice.js';
import { main as webhooks } from './webhooks.js';
import { main as analytics } from './analytics.js';
import { main as web } from './web.js';
import { main as scaleOut } from './scale-out.js';

await foundation();
await conversation();
await knowledge();
await campaigns();
await voice();
await webhooks();
await analytics();
await web();
await scaleOut();
