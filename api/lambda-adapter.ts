// The one place gust meets Hono's AWS Lambda adapter (API Gateway HTTP API, payload format 2.0).
//
// Hono 4.13 moved its runtime adapters into their own packages and deprecated `hono/aws-lambda`
// (it keeps working in Hono 4 and goes away in Hono 5). Its successor, `@hono/aws-lambda`, is not
// in the npm registry this project installs from (404), so gust keeps the built-in adapter, behind
// this module only: moving is this one import line once the package can be installed.
export { handle } from "hono/aws-lambda";
