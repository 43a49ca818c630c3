import { getConfig } from "@/lib/config";
import type { ProvidersInfo } from "@/lib/model/providers-info";
import { llmProviders, normalizeRequest, REQUEST_LIMITS, searchProviders } from "@/lib/model/request";
import { requestDefaults } from "@/lib/model/request-defaults";
import { checkProviders } from "@/lib/research";
import { json, otherMethods, preflight, route } from "../_lib/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Which LLM and search providers this server can use, and the request limits (for the UI). */
export const GET = route(async (request, _context, requestId) => {
  const config = getConfig();
  const defaults = requestDefaults(config);
  const configured = (llm: (typeof llmProviders)[number], search: (typeof searchProviders)[number]) => {
    const normalized = normalizeRequest(
      {
        query: "x",
        // A provider without a default model is configured all the same: its requests name one.
        llm:
          llm === "offline" ? { provider: llm } : { provider: llm, model: defaults.models[llm] ?? "model" },
        search: { provider: search },
      },
      defaults,
    );
    try {
      checkProviders(normalized, config);
      return true;
    } catch {
      // checkProviders throws exactly when a provider lacks its configuration.
      return false;
    }
  };
  return json(
    {
      llm: llmProviders.map((name) => ({
        name,
        configured: configured(name, "local"),
        default: name === config.DEFAULT_LLM_PROVIDER,
        ...(name !== "offline" && defaults.models[name] ? { model: defaults.models[name] } : {}),
      })),
      search: searchProviders.map((name) => ({
        name,
        configured: configured("offline", name),
        default: name === config.DEFAULT_SEARCH_PROVIDER,
      })),
      limits: {
        queryMaxLength: REQUEST_LIMITS.queryMaxLength,
        depth: REQUEST_LIMITS.depth,
        breadth: REQUEST_LIMITS.breadth,
        maxResults: REQUEST_LIMITS.maxResults,
      },
    } satisfies ProvidersInfo,
    200,
    requestId,
    request,
  );
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { POST, PUT, PATCH, DELETE } = otherMethods("GET, OPTIONS");
