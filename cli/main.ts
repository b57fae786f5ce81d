#!/usr/bin/env node
import { Command, Option } from "commander";
import { review } from "./review";

const program = new Command()
  .name("drkit")
  .description("Disaster recovery for PostgreSQL, Redis and object storage: review a stack's DR configuration.")
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

program.parse();
