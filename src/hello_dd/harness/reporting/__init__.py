"""What a run of the specification tells its readers: the console, the evidence attached to each
step, the Allure report, JUnit totals, the Markdown test report and the spec map.

During a run:
- ``console``: behave's console formatter, one line per step with its outcome;
- ``evidence``: each step's requests, answers and notes attached to the Allure report;
- ``run_results``: each scenario's outcome, written at the end as ``markdown_report``
  (reports/test_report.md) and ``spec_map`` (reports/spec-map.md), against ``contract``
  (docs/contract.md as data);
- ``closing_line``: ``spec: N passed, N failed, N skipped`` from the JUnit XML, after the run.

The Allure report as living documentation of the spec, during a run (behave's formatter):
- ``formatter``: allure-behave's formatter, completing each scenario's result before it is written;
- ``areas``: the one table from a feature's area tag to its epic;
- ``behaviours``: epic, feature, story, suite and severity of a scenario;
- ``links``: links to the contract items a scenario proves and to the glossary;
- ``selection``: which skipped scenarios the run selected (for the "no skipped scenario" gate);
- ``run_environment``: the environment view (stack, tracer, versions, commit, machine).

Building the report (``make report``):
- ``build``: the command line; runs the Allure 3 CLI's library through ``allure_build.mjs``;
- ``categories``: failures sorted into product, environment and test defects;
- ``load_metrics``: the load figures a run attached, as Allure metrics tracked across runs;
- ``gates``: the quality gates (load thresholds, no skipped scenario);
- ``history``: Allure's history file across runs, one entry per run.
"""
