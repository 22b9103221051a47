// Builds the Allure Awesome report with the library of the Allure 3 CLI (node_modules/@allurereport),
// from a build plan that hello_dd.harness.reporting.build writes: results, output, history file,
// categories, metrics and quality gate rules. The CLI's own commands cannot do it in one go: `allure
// awesome` ignores quality gates and categories, `allure quality-gate` builds no report.
//
// Usage: node allure_build.mjs PLAN.json
// Exit: 0 when the report was built (the quality gate verdict is in plan.gateResults), 1 when not.

import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { argv, exit } from "node:process";
import { pathToFileURL } from "node:url";

const plan = JSON.parse(await readFile(argv[2], "utf8"));
// The libraries are those of the project's node_modules (plan.projectRoot), wherever this file is.
const fromProject = createRequire(join(plan.projectRoot, "package.json"));
const load = async (name) => import(pathToFileURL(fromProject.resolve(name)).href);
const {
  AllureReport,
  filterFailedQualityGateResults,
  metricMaxRule,
  metricMinRule,
  qualityGateDefaultRules,
  resolveConfig,
} = await load("@allurereport/core");
const { default: AwesomePlugin } = await load("@allurereport/plugin-awesome");

// Allure 3.18's quality gate calls Iterator.prototype.toArray(), new in Node.js 22; Node.js 20 lacks it.
const iteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
if (!iteratorPrototype.toArray) {
  Object.defineProperty(iteratorPrototype, "toArray", {
    value() {
      return [...this];
    },
    configurable: true,
    writable: true,
  });
}

const SELECTION_LABEL = "_selection"; // written by hello_dd.harness.reporting.selection

const selectedButNotRun = (tr) =>
  tr.status === "skipped" &&
  !tr.labels.some((label) => label.name === SELECTION_LABEL && label.value !== "selected");

// "No skipped scenario": skipped results the run selected (see reporting/selection.py).
const maxSkippedSelectedRule = {
  rule: "maxSkippedSelected",
  message: ({ actual, expected }) =>
    `${actual} scenario(s) selected for this run did not run (allowed: ${expected})`,
  successMessage: ({ actual, expected }) =>
    `${actual} scenario(s) selected for this run did not run (allowed: ${expected})`,
  validate: async ({ trs, expected }) => {
    const notRun = trs.filter(selectedButNotRun);
    return { success: notRun.length <= expected, actual: notRun.length, testResults: notRun.map((tr) => tr.id) };
  },
};

const metricOf = (metrics, key) => metrics.find((metric) => metric.key === key);
const formatValue = (value, unit) => `${Number.isFinite(value) ? Number(value.toFixed(3)) : "n/a"}${unit ? ` ${unit}` : ""}`;

// Allure's metricMax ("at most") and metricMin ("at least"), with success messages that show the figures.
const withFigures = (rule, relation) => ({
  ...rule,
  successMessage: ({ actual, expected }) =>
    `${actual.title ?? actual.key} ${formatValue(actual.value, expected.unit)} is ${relation} ${formatValue(expected.value, expected.unit)}`,
});
const metricRulesWithFigures = [withFigures(metricMaxRule, "at most"), withFigures(metricMinRule, "at least")];

// Like metricMax, but the metric must stay strictly below the limit ("fewer than 10 %").
const metricBelowRule = {
  rule: "metricBelow",
  message: ({ actual, expected }) =>
    `${actual.title ?? actual.key} ${formatValue(actual.value, expected.unit)} is not below ${formatValue(expected.value, expected.unit)}`,
  successMessage: ({ actual, expected }) =>
    `${actual.title ?? actual.key} ${formatValue(actual.value, expected.unit)} is below ${formatValue(expected.value, expected.unit)}`,
  validate: async ({ metrics = [], expected }) => {
    const metric = metricOf(metrics, expected.key);
    const actual = { key: expected.key, value: metric?.value ?? Number.NaN, title: metric?.title };
    return { success: metric !== undefined && metric.value < expected.value, actual, testResults: [] };
  },
};

const awesomeOptions = {
  singleFile: Boolean(plan.singleFile),
  groupBy: plan.groupBy,
  reportLanguage: "en",
};
const rules = plan.qualityGate ?? [];
const config = await resolveConfig(
  {
    name: plan.name,
    output: plan.output,
    ...(plan.historyPath ? { historyPath: plan.historyPath, historyLimit: plan.historyLimit } : {}),
    categories: plan.categories,
    ...(rules.length
      ? { qualityGate: { rules, use: [...qualityGateDefaultRules, ...metricRulesWithFigures, maxSkippedSelectedRule, metricBelowRule] } }
      : {}),
  },
  { plugins: {} },
);
config.plugins = [{ id: "awesome", enabled: true, options: awesomeOptions, plugin: new AwesomePlugin(awesomeOptions) }];

const report = new AllureReport(config);
await report.start();
await report.readDirectory(plan.results);
if (plan.metrics?.length) {
  await report.store.visitMetrics(plan.metrics, { readerId: "hello-dd", metadata: { originalFileName: "load figures" } });
}
let gateResults = [];
if (report.hasQualityGate) {
  const trs = await report.store.allTestResults({ includeRetries: false });
  ({ results: gateResults } = await report.validate({ trs }));
  report.realtimeDispatcher.sendQualityGateResults(gateResults);
}
await report.done();
await writeFile(
  plan.gateResults,
  JSON.stringify({ results: gateResults, failed: filterFailedQualityGateResults(gateResults).length }, null, 2),
);
exit(0);
