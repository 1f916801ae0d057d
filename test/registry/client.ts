// Registry requests against a test server: PUT, GET, DELETE with a key, answers parsed.
import type { Answer, TestServer } from "../api/fixture.ts";

export async function call(
  server: TestServer,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.key ?? server.operatorKey}`,
    ...options.headers,
  };
  if (options.body !== undefined) headers["content-type"] ??= "application/json";
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const contentType = response.headers.get("content-type") ?? "";
  const text = await response.text();
  return {
    status: response.status,
    contentType,
    headers: response.headers,
    body: contentType.includes("json") && text ? JSON.parse(text) : text,
  };
}

export const NOP_3 = {
  name: "NOP Westermeerdijk 3",
  project: "Windpark Noordoostpolder",
  model: "E-126",
  rated_kw: 7580,
  hub_height_m: 135,
  rotor_diameter_m: 127,
  latitude: 52.72,
  longitude: 5.62,
  commissioned: "2013-06-01",
  tags: { municipality: "Noordoostpolder", province: "Flevoland" },
};
