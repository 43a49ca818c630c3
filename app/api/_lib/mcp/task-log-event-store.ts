import "server-only";
import type { EventStore } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { encodeMcpEventId, type McpEventId } from "./event-id";

/** How a resumed call writes to its client: the transport's writer of one replayed stream. */
export type ReplaySend = (eventId: string, message: JSONRPCMessage) => Promise<void>;

/**
 * The MCP transport's event store, backed by the task's log rather than by
 * memory (docs/ARCHITECTURE.md, "Wire format"). One exists per HTTP request.
 * Nothing is stored: an event's id *is* its position — the task, the last
 * log event the client was told about, and the call it answers
 * (`event-id.ts`) — and the task's log, which every process reads, is the
 * store. So a client that reconnects with `Last-Event-ID` may land on any
 * process: that process reads the log after the position and keeps following
 * the task until it ends and the call's result is sent.
 *
 * While a call waits, `position` is moved to each event before its
 * notification is sent (notifications of one call are sent one at a time),
 * so `storeEvent` names the event being written.
 */
export class TaskLogEventStore implements EventStore {
  /** Where the call stands now: what the next event id names. */
  position: McpEventId;
  /** Set by a resumption: where the client stands and how to write to it. */
  resumed: { from: McpEventId; send: ReplaySend } | null = null;

  constructor(position: McpEventId) {
    this.position = { ...position };
  }

  async storeEvent(_streamId: string, _message: JSONRPCMessage): Promise<string> {
    return encodeMcpEventId(this.position);
  }

  async getStreamIdForEventId(_eventId: string): Promise<string> {
    return this.#streamId();
  }

  /**
   * Called by the transport for a GET with `Last-Event-ID` (the route has
   * decoded the id into `position` already). It only keeps the writer: the
   * route starts following the task once the response exists, so catch-up
   * and live events go through one path and the transport has registered the
   * stream before anything is written that could end it.
   */
  async replayEventsAfter(_lastEventId: string, { send }: { send: ReplaySend }): Promise<string> {
    this.resumed = { from: { ...this.position }, send };
    return this.#streamId();
  }

  #streamId(): string {
    return `call:${this.position.task ?? "none"}:${String(this.position.request)}`;
  }
}
