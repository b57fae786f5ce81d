#!/usr/bin/env node
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Command, Option } from "commander";
import { drillCommand } from "./drill/command";
import { imagesCommand } from "./images";
import { renderCommand } from "./render/command";
import { review } from "./review";

const program = new Command()
  .name("drkit")
  .version(packageVersion(), "-V, --version", "print drkit's version")
  .description("Disaster recovery for PostgreSQL, Redis and object storage: review a stack's DR configuration, drill it.")
  .showHelpAfterError();

program
  .command("review")
  .description("check a stack's retention settings and RPO/RTO objectives, offline")
  .option("-s, --stack <name>", "the stack to review (reads Pulumi.<name>.yaml)", "prod")
  .option("-f, --file <path>", "a stack file to read instead of Pulumi.<stack>.yaml")
  .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
  .action((options: { stack: string; file?: string; format: "table" | "json" }) => {
    const outcome = review(options);
    (outcome.exitCode === 2 ? process.stderr : process.stdout).write(`${outcome.output}\n`);
    process.exitCode = outcome.exitCode;
  });

program
  .command("drill")
  .description("a local end-to-end DR drill: the stack's own pods and jobs in containers, a disaster, a recovery; RPO and RTO measured")
  .option("-s, --stack <name>", "the stack to drill (reads Pulumi.<name>.yaml)", "staging")
  .option("-f, --file <path>", "a stack file to read instead of Pulumi.<stack>.yaml")
  .option("--size <size>", "data to load into PostgreSQL before the backups", "1GiB")
  .option("--seed <n>", "seeds the moment of the disaster", "1")
  .option("--report <file>", "write the report as .json, .md or .html")
  .option("--max-wait <duration>", "the longest write phase before the disaster (default: one snapshot interval, at most 10m)")
  .option("--restore-latency <duration>", "delay every object-store request of the recovery, as a distant region would (e.g. 100ms)")
  .action(async (options: { stack: string; file?: string; size: string; seed: string; report?: string; maxWait?: string; restoreLatency?: string }) => {
    process.exitCode = await drillCommand(options, (line) => process.stderr.write(`${line}\n`));
  });

program
  .command("render")
  .description("what a stack deploys, offline: every Kubernetes object as YAML, or with --out every object, file, alert rule and cloud resource")
  .option("-s, --stack <name>", "the stack to render (reads Pulumi.<name>.yaml)", "prod")
  .option("-f, --file <path>", "a stack file to read instead of Pulumi.<stack>.yaml")
  .option("-o, --out <dir>", "write files under this directory (its kubernetes/, files/, alerts/ and cloud/ are replaced)")
  .action(async (options: { stack: string; file?: string; out?: string }) => {
    process.exitCode = await renderCommand(
      options,
      (text) => process.stdout.write(text),
      (line) => process.stderr.write(`${line}\n`),
    );
  });

program
  .command("images")
  .description("build drkit's images (postgres, redis, jobs) into the local Docker engine, for the drill and the tests")
  .option("-s, --stack <name>", "the stack whose image settings to use (reads Pulumi.<name>.yaml)", "staging")
  .option("-f, --file <path>", "a stack file to read instead of Pulumi.<stack>.yaml")
  .action(async (options: { stack: string; file?: string }) => {
    process.exitCode = await imagesCommand(options, (line) => process.stderr.write(`${line}\n`));
  });

program.parseAsync();

/** drkit's version from its package.json (found from cli/ in the sources and dist/cli/ when built). */
function packageVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file)) return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
  }
  return "unknown";
}
