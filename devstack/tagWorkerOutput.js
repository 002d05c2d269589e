// Preloaded (node --require) into serverless-offline and so into its worker threads, one
// per function instance: prefixes every line a function writes with `[<functionKey>] ` so
// `npm start` can say which function logged it.
const { isMainThread, workerData } = require('node:worker_threads');

const functionKey = !isMainThread && workerData && workerData.functionKey;
if (functionKey) {
  const tag = `[${functionKey}] `;
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = (chunk, ...rest) => write(typeof chunk === 'string' ? chunk.replace(/^(?=.)/gm, tag) : chunk, ...rest);
  }
}
