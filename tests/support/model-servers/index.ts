/**
 * Local HTTP servers that speak the real wire formats of the model services
 * (OpenAI chat completions and its compatible servers, Anthropic messages,
 * Gemini generateContent, Azure OpenAI), so tests drive the production SDK
 * clients against them. Parts:
 * - `types.ts`: the contract (wires, quirks, recorded requests, brains);
 * - `start-model-server.ts`: the HTTP server, recording and the shared quirks;
 * - `wire-kit.ts`: what the wires share (the protocol interface, chunking, streams);
 * - `wires/*.ts`: one wire format a file;
 * - `research-brain.ts`: the default brain, a research model for Fathom's prompts;
 * - `request-queries.ts`: helpers to assert on what was sent.
 */

export { type RequestFilter, requestsWhere, summarizeRequests } from "./request-queries";
export { detectStep, parsePassages, parseSources, researchBrain, THINKING_MARKER } from "./research-brain";
export { startModelServer } from "./start-model-server";
export type {
  Brain,
  BrainAnswer,
  BrainMessage,
  BrainRequest,
  JsonMode,
  ModelServer,
  ModelServerOptions,
  ModelServerQuirks,
  RecordedRequest,
  ResearchStep,
  Wire,
} from "./types";
