import { z } from "zod";
import {
  collectionListSchema,
  collectionNameSchema,
  collectionViewSchema,
  createCollectionSchema,
  documentIdSchema,
  documentListSchema,
  documentTextSchema,
  documentViewSchema,
  uploadByUrlSchema,
  uploadResultSchema,
} from "@/lib/model/collection";
import { errorBodySchema } from "@/lib/model/error-body";
import {
  doneDataSchema,
  outputDataSchema,
  progressDataSchema,
  sourceDataSchema,
  statusDataSchema,
  streamErrorDataSchema,
} from "@/lib/model/event-data";
import { exportFormatSchema } from "@/lib/model/export-format";
import { followUpsSchema } from "@/lib/model/follow-ups";
import { healthSchema } from "@/lib/model/health";
import { mcpMessageSchema } from "@/lib/model/mcp-message";
import { taskActionSchema } from "@/lib/model/lifecycle";
import { providersInfoSchema } from "@/lib/model/providers-info";
import { followUpBodySchema, researchQueryParamsSchema, researchRequestSchema } from "@/lib/model/request";
import { researchCreatedSchema } from "@/lib/model/research-created";
import {
  schedulePatchSchema,
  scheduleActionSchema,
  scheduleCreateSchema,
  scheduleIdSchema,
  scheduleRunPageSchema,
  scheduleRunStartedSchema,
  scheduleRunsQuerySchema,
} from "@/lib/model/schedule";
import { scheduleListSchema, scheduleViewSchema } from "@/lib/model/schedule-view";
import { sessionChangeSchema, sessionStateSchema, signInSchema } from "@/lib/model/session";
import { TASK_ID_PATTERN } from "@/lib/model/task-json";
import {
  taskDeletedSchema,
  taskListPageSchema,
  taskListQuerySchema,
  taskSnapshotSchema,
  taskSummarySchema,
  taskViewSchema,
} from "@/lib/model/task-view";
import { deliveryListSchema } from "@/lib/model/webhook";

/**
 * The model's schemas the API document names (docs/ARCHITECTURE.md, "The API
 * document"): each becomes a component of `/api/openapi.json`. They are the
 * very objects the routes parse with and answer with; nothing here is a copy.
 */

/** Answers: converted as what a client receives (zod's output side). */
export const responseSchemas = {
  Error: errorBodySchema,
  Health: healthSchema,
  ProvidersInfo: providersInfoSchema,
  SessionState: sessionStateSchema,
  SessionChange: sessionChangeSchema,
  ResearchCreated: researchCreatedSchema,
  TaskView: taskViewSchema,
  TaskSummary: taskSummarySchema,
  TaskListPage: taskListPageSchema,
  TaskSnapshot: taskSnapshotSchema,
  TaskDeleted: taskDeletedSchema,
  FollowUps: followUpsSchema,
  DeliveryList: deliveryListSchema,
  ProgressData: progressDataSchema,
  SourceData: sourceDataSchema,
  OutputData: outputDataSchema,
  StatusData: statusDataSchema,
  DoneData: doneDataSchema,
  StreamErrorData: streamErrorDataSchema,
  CollectionView: collectionViewSchema,
  CollectionList: collectionListSchema,
  DocumentView: documentViewSchema,
  DocumentList: documentListSchema,
  DocumentText: documentTextSchema,
  UploadResult: uploadResultSchema,
  ScheduleView: scheduleViewSchema,
  ScheduleList: scheduleListSchema,
  ScheduleRunPage: scheduleRunPageSchema,
  ScheduleRunStarted: scheduleRunStartedSchema,
  McpMessage: mcpMessageSchema,
} as const satisfies Record<string, z.ZodType>;
export type ResponseSchemaName = keyof typeof responseSchemas;

/**
 * Request bodies: converted as what a client sends (zod's input side:
 * defaults optional, before transforms). The create schema of a schedule
 * takes the server's MIN_SCHEDULE_INTERVAL_S only in a refinement, which
 * no JSON Schema shows; its fields are the same whatever the value.
 */
export const requestSchemas = {
  ResearchRequest: researchRequestSchema,
  FollowUpRequest: followUpBodySchema,
  SignIn: signInSchema,
  CreateCollection: createCollectionSchema,
  UploadByUrl: uploadByUrlSchema,
  ScheduleCreate: scheduleCreateSchema({ minIntervalS: 0 }),
  SchedulePatch: schedulePatchSchema,
  McpRequest: mcpMessageSchema,
} as const satisfies Record<string, z.ZodType>;
export type RequestSchemaName = keyof typeof requestSchemas;

/** Path parameters, each checked by the route with the same pattern. */
export const pathParameters = {
  taskId: z.string().regex(TASK_ID_PATTERN).describe("A task id: 32 lowercase hex characters."),
  taskAction: taskActionSchema.describe("The control to apply."),
  collectionName: collectionNameSchema.describe("A collection's name."),
  documentId: documentIdSchema.describe("A document id: 32 hex digits (a hash of its bytes)."),
  scheduleId: scheduleIdSchema.describe("A schedule id (21 characters)."),
  scheduleAction: scheduleActionSchema.describe("`pause`, `resume`, or `run` (fire now)."),
} as const;

/** Query strings, as the routes parse them. */
export const querySchemas = {
  research: researchQueryParamsSchema,
  taskList: taskListQuerySchema,
  scheduleRuns: scheduleRunsQuerySchema,
  export: z.strictObject({ format: exportFormatSchema }),
  cursor: z.strictObject({
    lastEventId: z
      .string()
      .regex(/^\d+$/)
      .optional()
      .describe("Resume after this event id (as `Last-Event-ID`)."),
  }),
} as const;
