using BenchmarkDotNet.Running;

namespace JailPS.Benchmarks;

public static class Program
{
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--measure")
        {
            Measure.Run(args); // medians of wall, CPU, GC pause and allocation (see Measure)
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
