// Package runpod is hybridgen's client for RunPod serverless endpoints that
// run the official worker-sdxl image worker (or any RunPod-compatible worker
// a deployer hosts: it is just another base URL).
//
// It owns the wire protocol only: request and response shapes
// ([SDXLInput], [Policy], [Job], [SDXLOutput], [Health]), authentication,
// retries with bounded exponential backoff and jitter, polling, cancellation
// and typed errors ([APIError], [JobError] and the Err* sentinels). It must
// not touch the ledger, budgets, the HTTP API that browsers call or any
// configuration files: callers (the cloud API) decide what to run and what
// it cost, from [Job.DelayTime] and [Job.ExecutionTime].
//
// Entry points: [NewClient], then [Client.Run] and [Client.Wait] (or
// [Client.RunSync], which may return a job that is not final yet, then
// [Client.Wait]); [Client.Status], [Client.Cancel] and [Client.Health].
//
// The API key is sent only in the authorization header. It never appears in
// an error string, a log line or a String/GoString/LogValue output; text a
// server sends back is scrubbed of it before it reaches an error.
//
// Retry rules, in short: reads and cancels are retried on 429, 5xx and
// transport failures. Submissions (/run, /runsync) have no idempotency key
// on RunPod, so they are retried only when the server proved it did not
// accept the job (429 or 503 responses) or the connection was never made;
// any other failure after the request may have reached RunPod is returned as
// an error matching [ErrSubmitUncertain] rather than risking a double
// submission (and a double charge).
package runpod
