//! Eval suites, the runner, retrieval and answer metrics, reports. Not built yet.
