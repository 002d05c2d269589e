// Loaded by .mocharc.json before any test: the SDK's notice that its 2027 releases need Node 22
// (printed once per process and client) is noise in test output; the README states it once.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
