// Reads a UI message stream body (an SSE body as an llmkit server sends it) with the Vercel
// AI SDK's own client code and prints what `useChat` would end up with, as JSON on stdout:
//
//   node read-ui-message-stream.mjs <file | ->
//   -> {"message": <final UIMessage or null>, "chunks": [<parsed chunks>], "errors": [<text>]}
//   node read-ui-message-stream.mjs <file> <file> ...
//   -> [<one such object per file>, ...]
//
// The body goes through exactly the path `useChat` uses: DefaultChatTransport's
// processResponseStream (parseJsonEventStream + uiMessageChunkSchema, throwing on a chunk the
// schema rejects), then readUIMessageStream (processUIMessageStream, the fold useChat runs).
// `errors` collects schema errors, stream-protocol errors (e.g. a delta for an unknown id) and
// in-band `error` chunks; an empty list means the SDK read the stream without complaint.
// No network: the body is read from a file or stdin.
import { readFileSync } from 'node:fs';
import { DefaultChatTransport, readUIMessageStream } from 'ai';

async function read(bytes) {
  const errors = [];
  const chunks = [];
  const transport = new DefaultChatTransport();
  // protected in TypeScript, plain in JavaScript: the exact parser useChat runs on the response
  const parsed = transport.processResponseStream(new Response(bytes).body).pipeThrough(
    new TransformStream({
      transform(chunk, controller) {
        chunks.push(chunk);
        controller.enqueue(chunk);
      },
    }),
  );
  let message = null;
  for await (const snapshot of readUIMessageStream({
    stream: parsed,
    onError: error => errors.push(String(error?.message ?? error)),
  })) {
    message = snapshot;
  }
  return { message, chunks, errors };
}

const sources = process.argv.slice(2);
if (sources.length <= 1) {
  const source = sources[0] ?? '-';
  const result = await read(readFileSync(source === '-' ? 0 : source));
  process.stdout.write(JSON.stringify(result));
} else {
  const results = [];
  for (const source of sources) results.push(await read(readFileSync(source)));
  process.stdout.write(JSON.stringify(results));
}
