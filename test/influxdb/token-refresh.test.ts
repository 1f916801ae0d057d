// A token from Secrets Manager is read again when InfluxDB refuses it (rotated, or filled in
// after the deploy): the request that met the 401 is sent again once with the new token, and a
// token that is still refused is a 503 that says to check it. At most one re-read a minute.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InfluxDbClient } from "../../api/store/influxdb-client.ts";
import { loadInfluxToken } from "../../api/store/influxdb-env.ts";
import { StoreUnavailableError } from "../../api/store/port.ts";

let server: Server;
let url: string;
let accepted = "Token new";
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      seen.push(String(request.headers.authorization));
      if (request.headers.authorization !== accepted) {
        response.writeHead(401, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: "authorization failed" }));
        return;
      }
      response.writeHead(204);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
});

describe("the token's secret", () => {
  const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:t-AbCdEf";
  const holding = (secretString: string) => {
    const client = new SecretsManagerClient({ region: "eu-west-1" });
    mockClient(client).on(GetSecretValueCommand).resolves({ SecretString: secretString });
    return loadInfluxToken({ INFLUXDB_TOKEN_SECRET_ARN: arn }, client);
  };

  it("is the token itself, JSON with a token key, or JSON with one key naming a token", async () => {
    expect(await holding("apiv3_abc")).toBe("apiv3_abc");
    expect(await holding('{"token":"t1"}')).toBe("t1");
    expect(await holding('{"engine":"timestream-influxdb","operatorToken":"t2"}')).toBe("t2");
    await expect(holding('{"aToken":"x","bToken":"y"}')).rejects.toThrow(/exactly one key/);
  });
});

describe("the InfluxDB token, read again on 401", () => {
  it("retries once with the token the secret holds now", async () => {
    let reads = 0;
    let now = 0;
    const client = new InfluxDbClient({
      url,
      database: "gust",
      token: "old",
      refreshToken: async () => {
        reads++;
        return "new";
      },
      now: () => now,
    });
    seen.length = 0;
    await client.write(["readings,turbine_id=a power_kw=1 1"]);
    expect(seen).toEqual(["Token old", "Token new"]);
    expect(reads).toBe(1);
    // The new token stays.
    await client.write(["readings,turbine_id=a power_kw=1 2"]);
    expect(seen.at(-1)).toBe("Token new");
    expect(reads).toBe(1);

    // Rotated again, but within a minute of the last read: not read again yet.
    accepted = "Token newer";
    now += 30_000;
    await expect(client.write(["x"])).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(reads).toBe(1);
    now += 30_000;
    const refreshed = new InfluxDbClient({
      url,
      database: "gust",
      token: "new",
      refreshToken: async () => "newer",
      now: () => now,
    });
    await refreshed.write(["readings,turbine_id=a power_kw=1 3"]);
    expect(seen.at(-1)).toBe("Token newer");
  });

  it("answers 503 saying to check the token when the secret holds the same refused one", async () => {
    const client = new InfluxDbClient({
      url,
      database: "gust",
      token: "wrong",
      refreshToken: async () => "wrong",
    });
    const failure = client.write(["x"]);
    await expect(failure).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(failure).rejects.toThrow(/check the token/);
  });
});
