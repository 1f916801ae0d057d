// The AWS SDK's default credential chain as the Lambda bundle has it: the environment only.
// Lambda always puts the function role's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
// and AWS_SESSION_TOKEN; the full chain (SSO, ini files, web identity, IMDS, with their own
// nested STS/SSO clients) would add ~90 KiB to every cold start for nothing.
// infra/lambda-bundle.ts substitutes this module for @aws-sdk/credential-provider-node.
import { fromEnv } from "@aws-sdk/credential-provider-env";

export const defaultProvider = (_init?: unknown) => fromEnv();
export const credentialsWillNeedRefresh = (_credentials: unknown) => false;
export const credentialsTreatedAsExpired = (_credentials: unknown) => false;
