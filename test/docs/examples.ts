// The shell examples of the README and docs/ pages, read as CONTRIBUTING.md's convention says:
// ```sh blocks run in page order; `#> ` lines show what the commands before them print, with `…`
// standing for any text; a block whose first line is `# not run: <reason>` is shown, not run.

const SHELL_FENCES = new Set(["sh", "bash", "shell", "console", "zsh"]);
const NOT_RUN = /^#\s*not run:(.*)$/;
const EXPECTED = /^#>(?: (.*))?$/;

export interface ShellBlock {
  /** 1-based line of the block's opening fence. */
  line: number;
  lines: string[];
  /** Why the block is not run, when it is marked so. */
  notRun?: string;
}

/** One step: commands, then (optionally) the lines they must print. */
export interface Step {
  /** 1-based line of the step's first command in the page. */
  line: number;
  commands: string;
  expected?: string[];
}

export function shellBlocks(markdown: string): ShellBlock[] {
  const blocks: ShellBlock[] = [];
  const lines = markdown.split("\n");
  let open: ShellBlock | undefined;
  let inOtherFence = false;
  lines.forEach((text, index) => {
    const fence = text.match(/^\s*```\s*([\w-]*)/);
    if (open) {
      if (fence && fence[1] === "") {
        const first = open.lines.find((l) => l.trim() !== "");
        const notRun = first?.trim().match(NOT_RUN);
        if (notRun) open.notRun = (notRun[1] ?? "").trim();
        blocks.push(open);
        open = undefined;
      } else {
        open.lines.push(text);
      }
    } else if (inOtherFence) {
      if (fence && fence[1] === "") inOtherFence = false;
    } else if (fence) {
      if (SHELL_FENCES.has(fence[1] ?? "")) open = { line: index + 1, lines: [] };
      else inOtherFence = true;
    }
  });
  return blocks;
}

/** A block's steps: each ends where its `#>` lines end (or with the block). */
export function steps(block: ShellBlock): Step[] {
  const result: Step[] = [];
  let commands: string[] = [];
  let expected: string[] | undefined;
  let line = block.line + 1;
  const close = () => {
    if (commands.some((c) => c.trim() !== "") || expected) {
      result.push({ line, commands: commands.join("\n"), ...(expected ? { expected } : {}) });
    }
    commands = [];
    expected = undefined;
  };
  block.lines.forEach((text, index) => {
    const output = text.match(EXPECTED);
    if (output) {
      expected ??= [];
      expected.push(output[1] ?? "");
      return;
    }
    if (expected) close();
    if (commands.length === 0) line = block.line + 1 + index;
    commands.push(text);
  });
  close();
  return result;
}

/** Whether `actual` is what the `#>` lines show: `…` is any text, the rest exact, line ends trimmed. */
export function matchesExpected(actual: string, expected: string[]): boolean {
  const want = expected.map((l) => l.trimEnd()).join("\n");
  const pattern = want
    .split("…")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join("[\\s\\S]*?");
  return new RegExp(`^${pattern}$`).test(tidy(actual));
}

/** Output as compared: no trailing spaces on a line, no trailing blank lines. */
export function tidy(output: string): string {
  return output
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n")
    .replace(/^\n+/, "")
    .trimEnd();
}
