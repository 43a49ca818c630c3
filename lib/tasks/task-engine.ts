import { AppError } from "../errors";
import { type IndexRequest, isIndexRequest, type NormalizedRequest } from "../model/request";
import type { ResearchContext, ResearchEngine, TaskEngine } from "../research/types";

/** The engine the runner runs: research tasks to the research engine, index tasks to the indexer. */
export function createTaskEngine(engines: {
  research: ResearchEngine<NormalizedRequest>;
  index?: ResearchEngine<IndexRequest>;
}): TaskEngine {
  return {
    run(context) {
      const { request } = context;
      if (!isIndexRequest(request))
        return engines.research.run(context as ResearchContext<NormalizedRequest>);
      if (!engines.index) throw new AppError("internal", "This server cannot index documents.");
      return engines.index.run(context as ResearchContext<IndexRequest>);
    },
  };
}
