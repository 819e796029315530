// Validates a useChat request body's UI messages with the Vercel AI SDK's own
// validateUIMessages and converts them with convertToModelMessages (what an AI SDK route does
// with the same body), printing {"valid": bool, "error": text | null, "modelMessages": [...]}.
//
//   node convert-ui-messages.mjs <body.json | ->
import { readFileSync } from 'node:fs';
import { convertToModelMessages, validateUIMessages } from 'ai';

const source = process.argv[2] ?? '-';
const body = JSON.parse(readFileSync(source === '-' ? 0 : source, 'utf8'));
let result;
try {
  const messages = await validateUIMessages({ messages: body.messages });
  const modelMessages = await convertToModelMessages(messages);
  result = { valid: true, error: null, modelMessages };
} catch (error) {
  result = { valid: false, error: String(error?.message ?? error), modelMessages: null };
}
process.stdout.write(JSON.stringify(result));
