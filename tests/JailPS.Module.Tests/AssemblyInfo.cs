using Xunit;

// One engine per process, process-wide environment (PSModulePath, JAILPS_SIMULATED_HOST): run tests one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
