import type { TaskEvent } from "../model/events";
import { LogFollower } from "./log-follower";
import type { ReadResult, Unsubscribe } from "./types";

/**
 * What wakes one task's follower besides the registry's own poll: a store
 * plugs in its fastest signal (the file store `fs.watch`, the Redis store a
 * blocking `XREAD`). It is only a latency optimization; the poll is the
 * guarantee, so a source may fail or be missing without losing events.
 */
export type WakeUpSource = (taskId: string, follower: LogFollower) => StopWakeUps;

/** Stops the wake-ups one `WakeUpSource` call started. */
export type StopWakeUps = () => void;

/** Options of `FollowerRegistry`. */
export interface FollowerRegistryOptions {
  /**
   * Reads a task's events after a cursor for its follower. `stopped` turns
   * true once the follower was stopped (its last listener left, the task was
   * deleted, the store closed), so a read that waits (e.g. out a Redis
   * outage) can give up.
   */
  read: (taskId: string, afterId: number, limit: number, stopped: () => boolean) => Promise<ReadResult>;
  /** Interval of the poll that pokes every follower, in ms (the guarantee behind `wakeUps`). */
  pollMs: number;
  /** The store's faster wake-ups. Default: none (polling only). */
  wakeUps?: WakeUpSource;
  /** Runs on every poll tick of a followed task besides the poke (e.g. noticing a delete elsewhere). */
  onPoll?: (taskId: string) => void;
}

interface Followed {
  follower: LogFollower;
  timer: NodeJS.Timeout;
  stopWakeUps: StopWakeUps;
  stopped: boolean;
}

/**
 * One `LogFollower` per followed task in this process, shared by every
 * subscriber of that task: following starts with the first subscriber and
 * stops with the last unsubscribe (or on `end`, or `close`). A store pushes
 * its own appends here and fails subscribers when it deletes a task; what
 * else wakes a follower is the store's `WakeUpSource` and the poll.
 */
export class FollowerRegistry {
  readonly #options: FollowerRegistryOptions;
  readonly #followed = new Map<string, Followed>();

  constructor(options: FollowerRegistryOptions) {
    this.#options = options;
  }

  /** Subscribes to a task's events after `afterId` (the caller has validated the id). */
  subscribe(
    taskId: string,
    afterId: number,
    onEvents: (events: TaskEvent[]) => void,
    onError?: (error: unknown) => void,
  ): Unsubscribe {
    const current = this.#followed.get(taskId) ?? this.#start(taskId, afterId);
    const unsubscribe = current.follower.subscribe(afterId, onEvents, onError);
    return () => {
      unsubscribe();
      if (current.follower.listenerCount === 0 && this.#followed.get(taskId) === current) {
        this.#stop(taskId, current);
      }
    };
  }

  /** Events this process just appended to `taskId`, for its follower if it has one. */
  push(taskId: string, events: TaskEvent[]): void {
    if (events.length > 0) this.#followed.get(taskId)?.follower.push(events);
  }

  /** The task's log may have changed: its follower (if any) reads again. */
  poke(taskId: string): void {
    this.#followed.get(taskId)?.follower.poke();
  }

  /** Ends every subscriber of `taskId` with `error`; the follower stays until its subscribers leave. */
  fail(taskId: string, error: unknown): void {
    this.#followed.get(taskId)?.follower.fail(error);
  }

  /** Ends every subscriber of `taskId` with `error` and stops following it. */
  end(taskId: string, error: unknown): void {
    const followed = this.#followed.get(taskId);
    if (!followed) return;
    followed.follower.fail(error);
    this.#stop(taskId, followed);
  }

  /** Stops following every task. */
  close(): void {
    for (const [taskId, followed] of this.#followed) this.#stop(taskId, followed);
  }

  #start(taskId: string, afterId: number): Followed {
    const { read, pollMs, wakeUps, onPoll } = this.#options;
    const follower = new LogFollower(afterId, {
      read: (cursor, limit) => read(taskId, cursor, limit, () => followed.stopped),
    });
    const timer = setInterval(() => {
      follower.poke();
      onPoll?.(taskId);
    }, pollMs);
    timer.unref();
    const followed: Followed = { follower, timer, stopWakeUps: () => undefined, stopped: false };
    // Registered before the wake-up source starts: a source may look the
    // followed tasks up (the Redis XREAD loop reads every one of them).
    this.#followed.set(taskId, followed);
    followed.stopWakeUps = wakeUps?.(taskId, follower) ?? followed.stopWakeUps;
    follower.poke();
    return followed;
  }

  #stop(taskId: string, followed: Followed): void {
    followed.stopped = true;
    clearInterval(followed.timer);
    followed.stopWakeUps();
    followed.follower.close();
    this.#followed.delete(taskId);
  }
}
