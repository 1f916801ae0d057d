// One structured logger for both runtimes: a JSON line per event (level, message, timestamp,
// service "gust" and the event's keys; an error as its name, message and stack) on stdout,
// warnings and errors on stderr. CloudWatch Logs keeps the lines as they are on Lambda and a log
// shipper reads them on a server. The field names are Powertools' Logger's, which the Lambda
// asset has no room for (docs/adr/020-one-structured-logger.md). LOG_LEVEL sets the level
// (DEBUG, INFO, WARN, ERROR); INFO by default.
import { type Clock, systemClock } from "./time/clock.ts";

export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";
export type LogFields = Record<string, unknown>;

const RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 };

export class Logger {
  private context: LogFields = {};
  private coldStart = true;
  private readonly threshold: number;

  constructor(
    private readonly options: {
      level?: string;
      clock?: Clock;
      write?: (level: LogLevel, line: string) => void;
    } = {},
  ) {
    this.threshold = RANK[options.level?.toUpperCase() as LogLevel] ?? RANK.INFO;
  }

  /**
   * Keys every later line carries: a Lambda invocation's (one event at a time per container),
   * set at its start.
   */
  addContext(context: { awsRequestId: string; functionName?: string }): void {
    this.context = {
      function_name: context.functionName,
      function_request_id: context.awsRequestId,
      cold_start: this.coldStart,
    };
    this.coldStart = false;
  }

  debug(message: string, fields?: LogFields | Error): void {
    this.emit("DEBUG", message, fields);
  }
  info(message: string, fields?: LogFields | Error): void {
    this.emit("INFO", message, fields);
  }
  warn(message: string, fields?: LogFields | Error): void {
    this.emit("WARN", message, fields);
  }
  error(message: string, fields?: LogFields | Error): void {
    this.emit("ERROR", message, fields);
  }

  private emit(level: LogLevel, message: string, fields: LogFields | Error | undefined): void {
    if (RANK[level] < this.threshold) return;
    const record = {
      level,
      message,
      timestamp: new Date((this.options.clock ?? systemClock).now()).toISOString(),
      service: "gust",
      ...this.context,
      ...(fields instanceof Error ? { error: fields } : fields),
    };
    (this.options.write ?? writeLine)(level, jsonLine(record));
  }
}

/** JSON that never throws: errors as name, message and stack; bigints as strings. */
function jsonLine(record: LogFields): string {
  try {
    return JSON.stringify(record, (_key, value) =>
      value instanceof Error
        ? { name: value.name, message: value.message, stack: value.stack }
        : typeof value === "bigint"
          ? value.toString()
          : value,
    );
  } catch {
    return JSON.stringify({ level: record.level, message: record.message, service: "gust" });
  }
}

function writeLine(level: LogLevel, line: string): void {
  (RANK[level] >= RANK.WARN ? process.stderr : process.stdout).write(`${line}\n`);
}

export const log = new Logger({ level: process.env.LOG_LEVEL });
