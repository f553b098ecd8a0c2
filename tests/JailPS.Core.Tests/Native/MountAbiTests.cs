using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using JailPS.Native;

namespace JailPS.Core.Tests.Native;

/// <summary>
/// The mount and devfs ABI in JailPS.Native (struct statfs, struct devfs_rule, MNT_*, DEVFSIO_*,
/// DRC_/DRA_/DRB_/D_*) checked against the team's FreeBSD facts sheet: freebsd-abi.md §7.3, §7.4,
/// §8.2, §8.3, §8.4 and §11.2, read from the same file <see cref="AbiFactsTests"/> uses.
/// </summary>
public class MountAbiTests
{
    // ---------------------------------------------------------------------------------------
    // Reading the facts sheet
    // ---------------------------------------------------------------------------------------

    private static readonly Lazy<string[]> s_lines = new(() => File.ReadAllLines(AbiFactsTests.FactsFile()));

    /// <summary>The lines of one "### N.M ..." section, up to the next heading or rule line.</summary>
    private static string[] Section(string heading)
    {
        string[] lines = s_lines.Value;
        int start = Array.FindIndex(lines, l => l.StartsWith(heading + " ", StringComparison.Ordinal));
        Assert.True(start >= 0, $"section '{heading}' not found in {AbiFactsTests.FactsFile()}");
        var body = new List<string>();
        for (int i = start + 1; i < lines.Length && !lines[i].StartsWith('#') && !lines[i].StartsWith("-----", StringComparison.Ordinal); i++)
            body.Add(lines[i]);
        return body.ToArray();
    }

    /// <summary>Body rows of the section's tables, as trimmed cells without markdown emphasis.</summary>
    private static List<string[]> TableRows(string[] section)
    {
        var rows = new List<string[]>();
        bool header = true;
        foreach (string line in section)
        {
            if (!line.StartsWith('|')) { header = true; continue; }
            string[] cells = line.Trim().Trim('|').Replace("\\|", "\u0001").Split('|')
                .Select(c => c.Replace("\u0001", "|").Replace("**", "").Replace("`", "").Trim()).ToArray();
            if (cells.All(c => c.Length == 0 || c.All(ch => ch == '-'))) continue; // |---|---|
            if (header) { header = false; continue; }                               // column names
            rows.Add(cells);
        }
        return rows;
    }

    private static bool TryNumber(string text, out long value)
    {
        var m = Regex.Match(text, @"^(0x[0-9A-Fa-f]+|\d+)\b");
        value = 0;
        if (!m.Success) return false;
        string v = m.Groups[1].Value;
        value = v.StartsWith("0x", StringComparison.Ordinal) ? Convert.ToInt64(v.Substring(2), 16) : long.Parse(v);
        return true;
    }

    /// <summary>
    /// Every "NAME value" the sections state: "| NAME | value |" cell pairs of tables (also
    /// "| A / B | value |" rows of §8.2) and prose such as "DRC_PATHPTRN 0x002",
    /// "DEVFS_MAGIC = 0xdb0a087a", "MNT_NOWAIT (2)". A name stated with two values is ambiguous.
    /// </summary>
    private static Dictionary<string, HashSet<long>> NamedValues(params string[] headings)
    {
        var facts = new Dictionary<string, HashSet<long>>(StringComparer.Ordinal);
        void Add(string name, long v)
        {
            if (!facts.TryGetValue(name, out var set)) facts[name] = set = new HashSet<long>();
            set.Add(v);
        }
        foreach (string heading in headings)
        {
            string[] section = Section(heading);
            foreach (string[] cells in TableRows(section))
                for (int i = 0; i + 1 < cells.Length; i++)
                {
                    string[] names = cells[i].Split('/', StringSplitOptions.TrimEntries);
                    if (names.All(n => Regex.IsMatch(n, @"^[A-Z][A-Z0-9]*_[A-Z0-9_]+$")) && TryNumber(cells[i + 1], out long v))
                        foreach (string n in names) Add(n, v);
                }
            string prose = string.Join("\n", section);
            foreach (Match m in Regex.Matches(prose, @"\b([A-Z][A-Z0-9]*_[A-Z0-9_]+)\s*(?:=\s*|\(\s*)?(0x[0-9A-Fa-f]+|\d+)\b"))
            {
                TryNumber(m.Groups[2].Value, out long v);
                Add(m.Groups[1].Value, v);
            }
        }
        return facts;
    }

    private static readonly Lazy<Dictionary<string, HashSet<long>>> s_named =
        new(() => NamedValues("### 7.3", "### 7.4", "### 8.2", "### 8.3", "### 8.4"));

    private static long Fact(string name)
    {
        Assert.True(s_named.Value.TryGetValue(name, out var values), $"{name} is not stated in §7.3/§7.4/§8.2–§8.4 of {AbiFactsTests.FactsFile()}");
        Assert.True(values!.Count == 1, $"{name} is stated with several values: {string.Join(", ", values)}");
        return values.Single();
    }

    private sealed record FieldFact(string Name, string CType, int Offset, int Size);

    /// <summary>"| field | C type | offset | size |" rows of a structure table, plus its "total" row.</summary>
    private static (List<FieldFact> Fields, int Total) StructFacts(string heading)
    {
        var fields = new List<FieldFact>();
        int total = -1;
        foreach (string[] c in TableRows(Section(heading)))
        {
            if (c[0] == "total" && TryNumber(c[3], out long t)) { total = (int)t; continue; }
            string name = Regex.Replace(c[0], @"\[\d+\]$", "");
            Assert.Matches(@"^[a-z_][a-z0-9_]*$", name);
            Assert.True(TryNumber(c[2], out long off), $"row '{string.Join(" | ", c)}' has no offset");
            Assert.True(TryNumber(c[3], out long size), $"row '{string.Join(" | ", c)}' has no size");
            fields.Add(new FieldFact(name, c[1], (int)off, (int)size));
        }
        Assert.True(total > 0, $"no total row in {heading}");
        Assert.NotEmpty(fields);
        return (fields, total);
    }

    /// <summary>§11.2: size of a C type on amd64, asserted equal on arm64.</summary>
    private static int CTypeSize(string cType)
    {
        foreach (string[] c in TableRows(Section("### 11.2")))
        {
            var names = Regex.Replace(c[0], @"\([^)]*\)", "").Split(new[] { '/', ',' }, StringSplitOptions.TrimEntries);
            if (!names.Contains(cType)) continue;
            Assert.True(TryNumber(c[1], out long amd64), $"§11.2 {cType}: amd64 size");
            Assert.True(TryNumber(c[2], out long arm64), $"§11.2 {cType}: arm64 size");
            Assert.Equal(amd64, arm64);
            return (int)amd64;
        }
        throw new Xunit.Sdk.XunitException($"C type {cType} is not in §11.2");
    }

    // C field name -> C# field name. The C# names are ours; the layout is the kernel's.
    private static readonly Dictionary<string, string> s_statfsFields = new()
    {
        ["f_version"] = nameof(StatFs.Version), ["f_type"] = nameof(StatFs.Type), ["f_flags"] = nameof(StatFs.Flags),
        ["f_bsize"] = nameof(StatFs.BSize), ["f_iosize"] = nameof(StatFs.IoSize), ["f_blocks"] = nameof(StatFs.Blocks),
        ["f_bfree"] = nameof(StatFs.BFree), ["f_bavail"] = nameof(StatFs.BAvail), ["f_files"] = nameof(StatFs.Files),
        ["f_ffree"] = nameof(StatFs.FFree), ["f_syncwrites"] = nameof(StatFs.SyncWrites),
        ["f_asyncwrites"] = nameof(StatFs.AsyncWrites), ["f_syncreads"] = nameof(StatFs.SyncReads),
        ["f_asyncreads"] = nameof(StatFs.AsyncReads), ["f_nvnodelistsize"] = nameof(StatFs.NVnodeListSize),
        ["f_spare0"] = nameof(StatFs.Spare0), ["f_spare"] = nameof(StatFs.Spare), ["f_namemax"] = nameof(StatFs.NameMax),
        ["f_owner"] = nameof(StatFs.Owner), ["f_fsid"] = nameof(StatFs.FsId), ["f_charspare"] = nameof(StatFs.CharSpare),
        ["f_fstypename"] = nameof(StatFs.FsTypeName), ["f_mntfromname"] = nameof(StatFs.MntFromName),
        ["f_mntonname"] = nameof(StatFs.MntOnName),
    };

    private static readonly Dictionary<string, string> s_devfsRuleFields = new()
    {
        ["dr_magic"] = nameof(DevfsRule.Magic), ["dr_id"] = nameof(DevfsRule.Id), ["dr_icond"] = nameof(DevfsRule.ICond),
        ["dr_dswflags"] = nameof(DevfsRule.DswFlags), ["dr_pathptrn"] = nameof(DevfsRule.PathPattern),
        ["dr_iacts"] = nameof(DevfsRule.IActs), ["dr_bacts"] = nameof(DevfsRule.BActs), ["dr_uid"] = nameof(DevfsRule.Uid),
        ["dr_gid"] = nameof(DevfsRule.Gid), ["dr_mode"] = nameof(DevfsRule.Mode), ["dr_incset"] = nameof(DevfsRule.IncSet),
    };

    private static void AssertLayout<T>(string heading, Dictionary<string, string> map, int sizeofT) where T : struct
    {
        var (fields, total) = StructFacts(heading);

        Assert.Equal(total, sizeofT);
        Assert.Equal(total, Unsafe.SizeOf<T>());
        Assert.Equal(total, Marshal.SizeOf<T>());

        // Same fields, same order, nothing extra on the C# side.
        FieldInfo[] mine = typeof(T).GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            .OrderBy(f => (long)Marshal.OffsetOf<T>(f.Name)).ToArray();
        Assert.Equal(fields.Select(f => map[f.Name]), mine.Select(f => f.Name));

        foreach (FieldFact f in fields)
        {
            FieldInfo fi = typeof(T).GetField(map[f.Name])!;
            Assert.True(f.Offset == (int)Marshal.OffsetOf<T>(fi.Name), $"{f.Name}: facts offset {f.Offset}, {typeof(T).Name}.{fi.Name} at {Marshal.OffsetOf<T>(fi.Name)}");
            Assert.True(f.Size == Marshal.SizeOf(fi.FieldType), $"{f.Name}: facts size {f.Size}, {typeof(T).Name}.{fi.Name} is {Marshal.SizeOf(fi.FieldType)} bytes");
        }

        // Contiguous and padding-free as the facts state it (each field starts where the previous ended).
        for (int i = 1; i < fields.Count; i++)
            Assert.Equal(fields[i - 1].Offset + fields[i - 1].Size, fields[i].Offset);
        Assert.Equal(total, fields[^1].Offset + fields[^1].Size);
    }

    // ---------------------------------------------------------------------------------------
    // Structures
    // ---------------------------------------------------------------------------------------

    [Fact]
    public unsafe void StatFs_size_and_every_offset_match_facts_8_4() =>
        AssertLayout<StatFs>("### 8.4", s_statfsFields, sizeof(StatFs));

    [Fact]
    public unsafe void DevfsRule_size_and_every_offset_match_facts_7_3() =>
        AssertLayout<DevfsRule>("### 7.3", s_devfsRuleFields, sizeof(DevfsRule));

    [Fact]
    public unsafe void Field_offsets_by_pointer_agree_with_Marshal()
    {
        // Marshal.OffsetOf reports the marshalled layout; the kernel sees the in-memory one. For these
        // blittable structs they must be the same: check the in-memory offsets of both structs directly.
        StatFs s = default;
        byte* b = (byte*)&s;
        foreach (var (c, cs) in s_statfsFields)
            Assert.True(OffsetInMemory<StatFs>(cs) == (int)Marshal.OffsetOf<StatFs>(cs), c);
        Assert.Equal(280, (int)((byte*)s.FsTypeName - b));
        Assert.Equal(296, (int)((byte*)s.MntFromName - b));
        Assert.Equal(1320, (int)((byte*)s.MntOnName - b));

        DevfsRule r = default;
        foreach (var (c, cs) in s_devfsRuleFields)
            Assert.True(OffsetInMemory<DevfsRule>(cs) == (int)Marshal.OffsetOf<DevfsRule>(cs), c);
        Assert.Equal(16, (int)(r.PathPattern - (byte*)&r));
    }

    private static unsafe int OffsetInMemory<T>(string field) where T : unmanaged
    {
        // Write a marker through the field (by reflection on a boxed zero value) and find where it landed.
        object boxed = default(T);
        FieldInfo fi = typeof(T).GetField(field)!;
        object marker = fi.FieldType == typeof(uint) ? 0xA5A5A5A5u
            : fi.FieldType == typeof(int) ? unchecked((int)0xA5A5A5A5)
            : fi.FieldType == typeof(ulong) ? 0xA5A5A5A5A5A5A5A5ul
            : fi.FieldType == typeof(long) ? unchecked((long)0xA5A5A5A5A5A5A5A5ul)
            : fi.FieldType == typeof(ushort) ? (object)(ushort)0xA5A5
            : null!;
        if (marker == null)
            return (int)Marshal.OffsetOf<T>(field); // fixed buffers: checked by address above
        fi.SetValue(boxed, marker);
        T copy = (T)boxed;
        byte* p = (byte*)&copy;
        for (int i = 0; i < sizeof(T); i++)
            if (p[i] == 0xA5) return i;
        return -1;
    }

    [Fact]
    public void Statfs_name_buffers_are_MFSNAMELEN_and_MNAMELEN()
    {
        // §8.4 gives the buffer sizes as "char (MFSNAMELEN)" / "char (MNAMELEN)" rows.
        var (fields, _) = StructFacts("### 8.4");
        int mfsnamelen = fields.Single(f => f.CType.Contains("(MFSNAMELEN)")).Size;
        int[] mnamelen = fields.Where(f => f.CType.Contains("(MNAMELEN)")).Select(f => f.Size).Distinct().ToArray();
        Assert.Equal(16, mfsnamelen);
        Assert.Equal(MountLimits.MfsNameLen, mfsnamelen);
        Assert.Equal(new[] { MountLimits.MNameLen }, mnamelen);
        Assert.Equal(MountLimits.StatFsVersion, (uint)Fact("STATFS_VERSION"));
    }

    [Fact]
    public void Devfs_C_types_have_the_sizes_of_11_2()
    {
        Assert.Equal(CTypeSize("devfs_rid"), Marshal.SizeOf(typeof(DevfsRule).GetField(nameof(DevfsRule.Id))!.FieldType));
        Assert.Equal(CTypeSize("devfs_rsnum"), Marshal.SizeOf(typeof(DevfsRule).GetField(nameof(DevfsRule.IncSet))!.FieldType));
        Assert.Equal(CTypeSize("mode_t"), Marshal.SizeOf(typeof(DevfsRule).GetField(nameof(DevfsRule.Mode))!.FieldType));
        Assert.Equal(CTypeSize("uid_t"), Marshal.SizeOf(typeof(StatFs).GetField(nameof(StatFs.Owner))!.FieldType));
        Assert.Equal(8, CTypeSize("long"));       // getfsstat's bufsize
        Assert.Equal(8, CTypeSize("u_long"));     // ioctl's request
    }

    // ---------------------------------------------------------------------------------------
    // Constants
    // ---------------------------------------------------------------------------------------

    [Theory]
    [InlineData("MNT_RDONLY", MountFlags.ReadOnly)]
    [InlineData("MNT_SYNCHRONOUS", MountFlags.Synchronous)]
    [InlineData("MNT_NOEXEC", MountFlags.NoExec)]
    [InlineData("MNT_NOSUID", MountFlags.NoSuid)]
    [InlineData("MNT_NFS4ACLS", MountFlags.Nfs4Acls)]
    [InlineData("MNT_UNION", MountFlags.Union)]
    [InlineData("MNT_ASYNC", MountFlags.Async)]
    [InlineData("MNT_EXRDONLY", MountFlags.ExReadOnly)]
    [InlineData("MNT_EXPORTED", MountFlags.Exported)]
    [InlineData("MNT_LOCAL", MountFlags.Local)]
    [InlineData("MNT_QUOTA", MountFlags.Quota)]
    [InlineData("MNT_ROOTFS", MountFlags.RootFs)]
    [InlineData("MNT_USER", MountFlags.User)]
    [InlineData("MNT_UPDATE", MountFlags.Update)]
    [InlineData("MNT_DELEXPORT", MountFlags.DelExport)]
    [InlineData("MNT_RELOAD", MountFlags.Reload)]
    [InlineData("MNT_FORCE", MountFlags.Force)]
    [InlineData("MNT_SUIDDIR", MountFlags.SuidDir)]
    [InlineData("MNT_SOFTDEP", MountFlags.SoftDep)]
    [InlineData("MNT_NOSYMFOLLOW", MountFlags.NoSymFollow)]
    [InlineData("MNT_IGNORE", MountFlags.Ignore)]
    [InlineData("MNT_SNAPSHOT", MountFlags.Snapshot)]
    [InlineData("MNT_GJOURNAL", MountFlags.GJournal)]
    [InlineData("MNT_MULTILABEL", MountFlags.MultiLabel)]
    [InlineData("MNT_NONBUSY", MountFlags.NonBusy)]
    [InlineData("MNT_ACLS", MountFlags.Acls)]
    [InlineData("MNT_BYFSID", MountFlags.ByFsId)]
    [InlineData("MNT_NOATIME", MountFlags.NoAtime)]
    [InlineData("MNT_EXPUBLIC", MountFlags.ExPublic)]
    [InlineData("MNT_NOCLUSTERR", MountFlags.NoClusterR)]
    [InlineData("MNT_NOCLUSTERW", MountFlags.NoClusterW)]
    [InlineData("MNT_SUJ", MountFlags.Suj)]
    [InlineData("MNT_AUTOMOUNTED", MountFlags.AutoMounted)]
    [InlineData("MNT_VERIFIED", MountFlags.Verified)]
    [InlineData("MNT_UNTRUSTED", MountFlags.Untrusted)]
    [InlineData("MNT_NOCOVER", MountFlags.NoCover)]
    [InlineData("MNT_EMPTYDIR", MountFlags.EmptyDir)]
    [InlineData("MNT_RECURSE", MountFlags.Recurse)]
    [InlineData("MNT_DEFERRED", MountFlags.Deferred)]
    public void Mount_flags_match_facts_8_2(string name, ulong value) => Assert.Equal((ulong)Fact(name), value);

    [Fact]
    public void Every_MountFlags_constant_is_checked()
    {
        // A constant added to MountFlags without a row above would go unchecked.
        var checkedValues = typeof(MountAbiTests).GetMethod(nameof(Mount_flags_match_facts_8_2))!
            .GetCustomAttributes<InlineDataAttribute>().Select(a => (ulong)a.GetData(null!).Single()[1]).ToHashSet();
        foreach (FieldInfo f in typeof(MountFlags).GetFields(BindingFlags.Public | BindingFlags.Static))
            Assert.Contains((ulong)f.GetRawConstantValue()!, checkedValues);
        Assert.Equal(39, typeof(MountAbiTests).GetMethod(nameof(Mount_flags_match_facts_8_2))!.GetCustomAttributes<InlineDataAttribute>().Count());
        Assert.Equal(39, typeof(MountFlags).GetFields(BindingFlags.Public | BindingFlags.Static).Length);
    }

    [Theory]
    [InlineData("MNT_WAIT", FsStatMode.Wait)]
    [InlineData("MNT_NOWAIT", FsStatMode.NoWait)]
    [InlineData("DRC_DSWFLAGS", DevfsConditions.DswFlags)]
    [InlineData("DRC_PATHPTRN", DevfsConditions.PathPattern)]
    [InlineData("DRA_BACTS", DevfsActions.BooleanActions)]
    [InlineData("DRA_UID", DevfsActions.Uid)]
    [InlineData("DRA_GID", DevfsActions.Gid)]
    [InlineData("DRA_MODE", DevfsActions.Mode)]
    [InlineData("DRA_INCSET", DevfsActions.IncludeSet)]
    [InlineData("DRB_HIDE", DevfsBooleanActions.Hide)]
    [InlineData("DRB_UNHIDE", DevfsBooleanActions.Unhide)]
    [InlineData("D_TAPE", DeviceTypes.Tape)]
    [InlineData("D_DISK", DeviceTypes.Disk)]
    [InlineData("D_TTY", DeviceTypes.Tty)]
    [InlineData("D_MEM", DeviceTypes.Mem)]
    [InlineData("DEVFS_MAXPTRNLEN", DevfsConstants.MaxPatternLength)]
    public void Int_constants_match_facts(string name, int value) => Assert.Equal(Fact(name), value);

    [Fact]
    public void Ioctl_size_mask_matches_the_encoding_formula_of_7_4() =>
        Assert.Equal(IoctlEncoding.ParmMask, ParmMaskFromFormula()); // facts formula: (size & 0x1fff) << 16

    [Theory]
    [InlineData("DEVFS_MAGIC", DevfsConstants.Magic)]
    [InlineData("STATFS_VERSION", MountLimits.StatFsVersion)]
    [InlineData("IOC_VOID", IoctlEncoding.Void)]
    [InlineData("IOC_OUT", IoctlEncoding.Out)]
    [InlineData("IOC_IN", IoctlEncoding.In)]
    [InlineData("IOC_INOUT", IoctlEncoding.InOut)]
    public void UInt_constants_match_facts(string name, uint value) => Assert.Equal(Fact(name), (long)value);

    [Fact]
    public void Unmount_flags_of_8_3_are_the_dual_use_values_of_8_2()
    {
        // §8.3 restates the unmount flags in prose; §8.2 notes they share bits with mount flags.
        Assert.Equal(MountFlags.MultiLabel, MountFlags.NonBusy);
        Assert.Equal(MountFlags.Acls, MountFlags.ByFsId);
        Assert.Equal(0x80000ul, MountFlags.Force);
        Assert.Equal(0x8000000ul, MountFlags.ByFsId);
        Assert.Equal(0x4000000ul, MountFlags.NonBusy);
        // The flags jail mounts pass through nmount's int argument fit in it.
        foreach (ulong f in new[] { MountFlags.ReadOnly, MountFlags.NoSuid, MountFlags.NoExec, MountFlags.Update, MountFlags.Force, MountFlags.ByFsId, MountFlags.NonBusy })
            Assert.True(f <= int.MaxValue);
    }

    [Fact]
    public void Open_flags_match_fcntl_h()
    {
        // Not in the team facts sheet: read from freebsd/freebsd-src sys/sys/fcntl.h (commit 0069e95e,
        // and a newer copy that adds O_EMPTY_PATH 0x02000000 with the same values below).
        Assert.Equal(0x0000, OpenFlags.ReadOnly);           // O_RDONLY
        Assert.Equal(0x0100, OpenFlags.NoFollow);           // O_NOFOLLOW
        Assert.Equal(0x00020000, OpenFlags.Directory);      // O_DIRECTORY
        Assert.Equal(0x00100000, OpenFlags.CloseOnExec);    // O_CLOEXEC
        Assert.Equal(0x00800000, OpenFlags.ResolveBeneath); // O_RESOLVE_BENEATH
        int[] bits = { OpenFlags.NoFollow, OpenFlags.Directory, OpenFlags.CloseOnExec, OpenFlags.ResolveBeneath };
        Assert.All(bits, b => Assert.Equal(1, System.Numerics.BitOperations.PopCount((uint)b)));
        Assert.Equal(bits.Length, bits.Distinct().Count());
    }

    // ---------------------------------------------------------------------------------------
    // DEVFSIO_* request numbers, recomputed from the ioccom.h encoding
    // ---------------------------------------------------------------------------------------

    private static readonly Dictionary<string, ulong> s_devfsIoctls = new()
    {
        ["DEVFSIO_RADD"] = DevfsIoctl.RuleAdd, ["DEVFSIO_RDEL"] = DevfsIoctl.RuleDelete,
        ["DEVFSIO_RAPPLY"] = DevfsIoctl.RuleApply, ["DEVFSIO_RAPPLYID"] = DevfsIoctl.RuleApplyId,
        ["DEVFSIO_RGETNEXT"] = DevfsIoctl.RuleGetNext, ["DEVFSIO_SUSE"] = DevfsIoctl.SetUse,
        ["DEVFSIO_SAPPLY"] = DevfsIoctl.SetApply, ["DEVFSIO_SGETNEXT"] = DevfsIoctl.SetGetNext,
    };

    /// <summary>§7.4 rows: name, definition (_IOWR('D', 0, struct devfs_rule)), value.</summary>
    public static IEnumerable<object[]> DevfsIoctlRows() =>
        TableRows(Section("### 7.4")).Where(c => c[0].StartsWith("DEVFSIO_", StringComparison.Ordinal))
            .Select(c => new object[] { c[0], c[1], c[2] });

    private static long ParmMaskFromFormula()
    {
        var m = Regex.Match(string.Join("\n", Section("### 7.4")), @"\(size & (0x[0-9a-fA-F]+)\) << 16");
        Assert.True(m.Success, "§7.4 encoding formula not found");
        return Convert.ToInt64(m.Groups[1].Value.Substring(2), 16);
    }

    [Theory]
    [MemberData(nameof(DevfsIoctlRows))]
    public unsafe void Devfs_ioctl_numbers_recompute_from_ioccom_encoding(string name, string definition, string factValue)
    {
        var m = Regex.Match(definition, @"^_IO(WR|W|R)\('(.)', (\d+), (?:struct )?(\w+)\)$");
        Assert.True(m.Success, $"{name}: cannot read definition '{definition}'");

        // _IOW: kernel copies in (IOC_IN); _IOR: copies out (IOC_OUT); _IOWR: both (ioccom.h).
        long dir = m.Groups[1].Value switch { "W" => Fact("IOC_IN"), "R" => Fact("IOC_OUT"), _ => Fact("IOC_INOUT") };
        long group = m.Groups[2].Value[0];
        long num = long.Parse(m.Groups[3].Value);
        long size = m.Groups[4].Value switch
        {
            "devfs_rule" => sizeof(DevfsRule),
            "devfs_rid" => CTypeSize("devfs_rid"),
            "devfs_rsnum" => CTypeSize("devfs_rsnum"),
            string t => throw new Xunit.Sdk.XunitException($"{name}: unknown argument type {t}"),
        };
        Assert.Equal(0x44, group); // §7.4 heading: group 'D' = 0x44
        long mask = ParmMaskFromFormula();

        ulong recomputed = (ulong)(dir | ((size & mask) << 16) | (group << 8) | num);
        // The same with this assembly's own encoding constants.
        uint nativeDir = m.Groups[1].Value switch { "W" => IoctlEncoding.In, "R" => IoctlEncoding.Out, _ => IoctlEncoding.InOut };
        ulong recomputedNative = nativeDir | (((ulong)size & IoctlEncoding.ParmMask) << 16) | ((ulong)group << 8) | (ulong)num;

        Assert.True(TryNumber(factValue, out long fromSheet), $"{name}: value '{factValue}'");
        Assert.Equal((ulong)fromSheet, recomputed);
        Assert.Equal(recomputed, recomputedNative);
        Assert.True(s_devfsIoctls.TryGetValue(name, out ulong constant), $"{name} has no DevfsIoctl constant");
        Assert.Equal(recomputed, constant);
    }

    [Fact]
    public void Every_DEVFSIO_of_the_facts_has_a_constant_and_back()
    {
        var names = DevfsIoctlRows().Select(r => (string)r[0]).ToArray();
        Assert.Equal(s_devfsIoctls.Keys.OrderBy(k => k), names.OrderBy(k => k));
        Assert.Equal(typeof(DevfsIoctl).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (ulong)f.GetRawConstantValue()!).OrderBy(v => v),
            s_devfsIoctls.Values.OrderBy(v => v));
        Assert.Equal(1 << IoctlEncoding.ParmShift, (int)IoctlEncoding.ParmMask + 1);
        Assert.Equal(IoctlEncoding.In | IoctlEncoding.Out, IoctlEncoding.InOut);
    }

    // ---------------------------------------------------------------------------------------
    // Byte-for-byte marshalling
    // ---------------------------------------------------------------------------------------

    private static unsafe byte[] BytesOf<T>(in T value) where T : unmanaged
    {
        var bytes = new byte[sizeof(T)];
        fixed (T* p = &value)
            new ReadOnlySpan<byte>(p, sizeof(T)).CopyTo(bytes);
        return bytes;
    }

    private static unsafe void SetPattern(ref DevfsRule r, string pattern)
    {
        byte[] ascii = Encoding.ASCII.GetBytes(pattern);
        fixed (byte* p = r.PathPattern)
            ascii.CopyTo(new Span<byte>(p, DevfsConstants.MaxPatternLength));
    }

    [Fact]
    public void DevfsRule_for_path_pts_unhide_in_ruleset_4_rule_100_is_byte_exact()
    {
        // devfs rule -s 4 add 100 path 'pts/*' unhide  (§7.2, encoding as in the §7.6 example)
        var rule = new DevfsRule
        {
            Magic = DevfsConstants.Magic,
            Id = (4u << 16) | 100u,                          // §7.3 dr_id = (ruleset << 16) | rule
            ICond = DevfsConditions.PathPattern,
            IActs = DevfsActions.BooleanActions,
            BActs = DevfsBooleanActions.Unhide,
        };
        SetPattern(ref rule, "pts/*");

        // Expected bytes written by hand from §7.3: little-endian fields at the stated offsets.
        var expected = new byte[236];
        new byte[] { 0x7a, 0x08, 0x0a, 0xdb }.CopyTo(expected, 0);      // dr_magic 0xdb0a087a @0
        new byte[] { 0x64, 0x00, 0x04, 0x00 }.CopyTo(expected, 4);      // dr_id 0x00040064 @4
        new byte[] { 0x02, 0x00, 0x00, 0x00 }.CopyTo(expected, 8);      // dr_icond DRC_PATHPTRN @8
        /* dr_dswflags @12 = 0 */
        new byte[] { 0x70, 0x74, 0x73, 0x2f, 0x2a, 0x00 }.CopyTo(expected, 16); // dr_pathptrn "pts/*\0" @16
        new byte[] { 0x01, 0x00, 0x00, 0x00 }.CopyTo(expected, 216);    // dr_iacts DRA_BACTS @216
        new byte[] { 0x02, 0x00, 0x00, 0x00 }.CopyTo(expected, 220);    // dr_bacts DRB_UNHIDE @220
        /* dr_uid @224, dr_gid @228, dr_mode @232, dr_incset @234 = 0 */

        Assert.Equal(expected, BytesOf(rule));
    }

    [Fact]
    public void DevfsRule_with_type_user_group_mode_is_byte_exact()
    {
        // devfs rule -s 10 add 200 path 'da*' type disk user 1000 group 5 mode 0640
        var rule = new DevfsRule
        {
            Magic = DevfsConstants.Magic,
            Id = (10u << 16) | 200u,
            ICond = DevfsConditions.DswFlags | DevfsConditions.PathPattern,
            DswFlags = DeviceTypes.Disk,
            IActs = DevfsActions.Uid | DevfsActions.Gid | DevfsActions.Mode,
            Uid = 1000,
            Gid = 5,
            Mode = 0x1a0, // 0640
        };
        SetPattern(ref rule, "da*");

        var expected = new byte[236];
        new byte[] { 0x7a, 0x08, 0x0a, 0xdb }.CopyTo(expected, 0);      // dr_magic
        new byte[] { 0xc8, 0x00, 0x0a, 0x00 }.CopyTo(expected, 4);      // dr_id 0x000a00c8
        new byte[] { 0x03, 0x00, 0x00, 0x00 }.CopyTo(expected, 8);      // dr_icond DRC_DSWFLAGS|DRC_PATHPTRN
        new byte[] { 0x02, 0x00, 0x00, 0x00 }.CopyTo(expected, 12);     // dr_dswflags D_DISK
        new byte[] { 0x64, 0x61, 0x2a, 0x00 }.CopyTo(expected, 16);     // "da*\0"
        new byte[] { 0x0e, 0x00, 0x00, 0x00 }.CopyTo(expected, 216);    // dr_iacts DRA_UID|DRA_GID|DRA_MODE
        /* dr_bacts @220 = 0 */
        new byte[] { 0xe8, 0x03, 0x00, 0x00 }.CopyTo(expected, 224);    // dr_uid 1000
        new byte[] { 0x05, 0x00, 0x00, 0x00 }.CopyTo(expected, 228);    // dr_gid 5
        new byte[] { 0xa0, 0x01 }.CopyTo(expected, 232);                // dr_mode 0640 (uint16)
        /* dr_incset @234 = 0 */

        Assert.Equal(expected, BytesOf(rule));
    }

    [Fact]
    public void DevfsRule_include_is_byte_exact()
    {
        // devfs rule -s 4 add 300 include 3  (§7.6: add include N -> {iacts DRA_INCSET, incset N})
        var rule = new DevfsRule
        {
            Magic = DevfsConstants.Magic,
            Id = (4u << 16) | 300u,
            IActs = DevfsActions.IncludeSet,
            IncSet = 3,
        };

        var expected = new byte[236];
        new byte[] { 0x7a, 0x08, 0x0a, 0xdb }.CopyTo(expected, 0);
        new byte[] { 0x2c, 0x01, 0x04, 0x00 }.CopyTo(expected, 4);      // dr_id 0x0004012c
        new byte[] { 0x10, 0x00, 0x00, 0x00 }.CopyTo(expected, 216);    // dr_iacts DRA_INCSET
        new byte[] { 0x03, 0x00 }.CopyTo(expected, 234);                // dr_incset 3 (uint16)

        Assert.Equal(expected, BytesOf(rule));
    }

    [Fact]
    public unsafe void Getfsstat_buffer_as_the_kernel_writes_it_reads_back_through_StatFs()
    {
        // Two struct statfs entries written at the §8.4 offsets, as getfsstat(2) fills its buffer;
        // the second one starts sizeof(struct statfs) = 2344 bytes in.
        const int size = 2344;
        var buf = new byte[2 * size];
        void Put32(int at, uint v) => BitConverter.GetBytes(v).CopyTo(buf, at);
        void Put64(int at, ulong v) => BitConverter.GetBytes(v).CopyTo(buf, at);
        void PutStr(int at, string s) => Encoding.ASCII.GetBytes(s + "\0").CopyTo(buf, at);

        int e = size; // second entry
        Put32(e + 0, 0x20140518);                       // f_version
        Put32(e + 4, 0x3a);                             // f_type
        Put64(e + 8, 0x1 | 0x8 | 0x4 | 0x1000);         // f_flags: RDONLY|NOSUID|NOEXEC|LOCAL
        Put64(e + 16, 4096);                            // f_bsize
        Put64(e + 48, unchecked((ulong)-5L));           // f_bavail (int64, may be negative)
        Put32(e + 184, 255);                            // f_namemax
        Put32(e + 188, 0);                              // f_owner
        Put32(e + 192, 0x11223344);                     // f_fsid.val[0]
        Put32(e + 196, 0x55667788);                     // f_fsid.val[1]
        PutStr(e + 280, "nullfs");                      // f_fstypename
        PutStr(e + 296, "/usr/jails/basejail");         // f_mntfromname
        PutStr(e + 1320, "/usr/jails/web/basejail");    // f_mntonname
        PutStr(0 + 280, "devfs");                       // first entry's f_fstypename

        fixed (byte* p = buf)
        {
            StatFs* entries = (StatFs*)p;
            Assert.Equal("devfs", CString(entries[0].FsTypeName, MountLimits.MfsNameLen));
            StatFs s = entries[1];
            Assert.Equal(MountLimits.StatFsVersion, s.Version);
            Assert.Equal(0x3au, s.Type);
            Assert.Equal(MountFlags.ReadOnly | MountFlags.NoSuid | MountFlags.NoExec | MountFlags.Local, s.Flags);
            Assert.Equal(4096ul, s.BSize);
            Assert.Equal(-5L, s.BAvail);
            Assert.Equal(255u, s.NameMax);
            Assert.Equal(0u, s.Owner);
            Assert.Equal(0x11223344, s.FsId[0]);
            Assert.Equal(0x55667788, s.FsId[1]);
            Assert.Equal("nullfs", CString(s.FsTypeName, MountLimits.MfsNameLen));
            Assert.Equal("/usr/jails/basejail", CString(s.MntFromName, MountLimits.MNameLen));
            Assert.Equal("/usr/jails/web/basejail", CString(s.MntOnName, MountLimits.MNameLen));
        }
    }

    private static unsafe string CString(byte* p, int max)
    {
        var span = new ReadOnlySpan<byte>(p, max);
        int nul = span.IndexOf((byte)0);
        return Encoding.ASCII.GetString(nul < 0 ? span : span[..nul]);
    }

    // ---------------------------------------------------------------------------------------
    // The seam and the real libc
    // ---------------------------------------------------------------------------------------

    [Fact]
    public void IMountLibc_has_the_C_signatures()
    {
        // sys/sys/mount.h, sys/sys/fcntl.h, sys/sys/ioccom.h prototypes; §11.2 type sizes.
        static Type[] P(string m) => typeof(IMountLibc).GetMethod(m)!.GetParameters().Select(p => p.ParameterType).ToArray();
        Assert.Equal(new[] { typeof(IoVec*), typeof(uint), typeof(int) }, P(nameof(IMountLibc.Nmount)));
        Assert.Equal(new[] { typeof(byte*), typeof(int) }, P(nameof(IMountLibc.Unmount)));
        Assert.Equal(new[] { typeof(StatFs*), typeof(long), typeof(int) }, P(nameof(IMountLibc.GetFsStat)));
        Assert.Equal(new[] { typeof(byte*), typeof(int) }, P(nameof(IMountLibc.Open)));
        Assert.Equal(new[] { typeof(int) }, P(nameof(IMountLibc.Close)));
        Assert.Equal(new[] { typeof(int), typeof(ulong), typeof(void*) }, P(nameof(IMountLibc.Ioctl)));
        Assert.All(typeof(IMountLibc).GetMethods().Where(m => !m.IsSpecialName), m => Assert.Equal(typeof(int), m.ReturnType));
        Assert.True(typeof(IMountLibc).IsAssignableFrom(typeof(FreeBsdLibc)));
        Assert.True(typeof(ILibc).IsAssignableFrom(typeof(FreeBsdLibc)));
        Assert.False(typeof(ILibc).IsAssignableFrom(typeof(IMountLibc)));
    }

    [SkippableFact]
    public void FreeBsdLibc_with_mount_calls_is_still_refused_off_FreeBSD()
    {
        Skip.If(OperatingSystem.IsFreeBSD(), "on FreeBSD the real libc is the point");
        Assert.Throws<PlatformNotSupportedException>(() => { IMountLibc libc = new FreeBsdLibc(); });
    }

    [SkippableFact]
    public unsafe void Interop_never_binds_the_hosts_same_named_functions_off_FreeBSD()
    {
        // close, ioctl and open exist in Linux's libc too; the resolver must refuse before any call.
        // (Arguments chosen to be harmless even if it did not: fd -1, no path.)
        Skip.If(OperatingSystem.IsFreeBSD(), "on FreeBSD the real libc is the point");
        Assert.Throws<PlatformNotSupportedException>(() => Interop.Close(-1));
        Assert.Throws<PlatformNotSupportedException>(() => Interop.Ioctl(-1, DevfsIoctl.SetUse, null));
        Assert.Throws<PlatformNotSupportedException>(() => Interop.GetFsStat(null, 0, FsStatMode.NoWait));
    }
}
