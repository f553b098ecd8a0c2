using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using JailPS.Native;

namespace JailPS.Core.Tests.Native;

/// <summary>struct stat in JailPS.Native against the facts read from sys/sys/stat.h (Facts/stat-facts.md).</summary>
public sealed class StatAbiTests
{
    private static readonly Dictionary<string, string> s_fields = new()
    {
        ["st_dev"] = nameof(Stat.Dev), ["st_ino"] = nameof(Stat.Ino), ["st_nlink"] = nameof(Stat.NLink),
        ["st_mode"] = nameof(Stat.Mode), ["st_padding0"] = nameof(Stat.Padding0), ["st_uid"] = nameof(Stat.Uid),
        ["st_gid"] = nameof(Stat.Gid), ["st_padding1"] = nameof(Stat.Padding1), ["st_rdev"] = nameof(Stat.RDev),
        ["st_atim"] = nameof(Stat.ATim), ["st_mtim"] = nameof(Stat.MTim), ["st_ctim"] = nameof(Stat.CTim),
        ["st_birthtim"] = nameof(Stat.BirthTim), ["st_size"] = nameof(Stat.Size), ["st_blocks"] = nameof(Stat.Blocks),
        ["st_blksize"] = nameof(Stat.BlkSize), ["st_flags"] = nameof(Stat.Flags), ["st_gen"] = nameof(Stat.Gen),
        ["st_spare"] = nameof(Stat.Spare),
    };

    private static IEnumerable<(string Field, int Offset, int Size)> Facts()
    {
        string text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Facts", "stat-facts.md"));
        foreach (Match m in Regex.Matches(text, @"^\| (st_\w+) \| (\d+) \| (\d+) \|$", RegexOptions.Multiline))
            yield return (m.Groups[1].Value, int.Parse(m.Groups[2].Value), int.Parse(m.Groups[3].Value));
    }

    [Fact]
    public void Every_field_sits_at_the_offset_and_size_of_sys_sys_stat_h()
    {
        var facts = Facts().ToList();
        Assert.Equal(s_fields.Count, facts.Count);
        foreach (var (field, offset, size) in facts)
        {
            string name = s_fields[field];
            Assert.Equal(offset, (int)Marshal.OffsetOf<Stat>(name));
            var type = typeof(Stat).GetField(name)!.FieldType;
            int actual = Marshal.SizeOf(type);
            Assert.True(actual == size || field is "st_atim" or "st_mtim" or "st_ctim" or "st_birthtim" or "st_spare",
                $"{field}: {actual} bytes, facts say {size}");
        }
        Assert.Equal(224, Unsafe.SizeOf<Stat>());
        var sizes = facts.ToDictionary(f => f.Field, f => f.Size);
        // The fixed buffers: the next field's offset minus this one's is the buffer's size.
        Assert.Equal(sizes["st_atim"], (int)Marshal.OffsetOf<Stat>(nameof(Stat.MTim)) - (int)Marshal.OffsetOf<Stat>(nameof(Stat.ATim)));
        Assert.Equal(sizes["st_birthtim"], (int)Marshal.OffsetOf<Stat>(nameof(Stat.Size)) - (int)Marshal.OffsetOf<Stat>(nameof(Stat.BirthTim)));
        Assert.Equal(sizes["st_spare"], 224 - (int)Marshal.OffsetOf<Stat>(nameof(Stat.Spare)));
    }

    [Fact]
    public void The_file_type_bits_are_those_of_sys_sys_stat_h()
    {
        string text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Facts", "stat-facts.md"));
        var facts = Regex.Matches(text, @"^\| (S_IF\w+) \| (0[0-7]+) \|$", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value, m => Convert.ToInt32(m.Groups[2].Value, 8));
        var ours = new Dictionary<string, int>
        {
            ["S_IFMT"] = JailPS.Native.StatMode.TypeMask, ["S_IFIFO"] = JailPS.Native.StatMode.Fifo,
            ["S_IFCHR"] = JailPS.Native.StatMode.CharacterDevice, ["S_IFDIR"] = JailPS.Native.StatMode.Directory,
            ["S_IFBLK"] = JailPS.Native.StatMode.BlockDevice, ["S_IFREG"] = JailPS.Native.StatMode.Regular,
            ["S_IFLNK"] = JailPS.Native.StatMode.SymbolicLink, ["S_IFSOCK"] = JailPS.Native.StatMode.Socket,
        };
        Assert.Equal(ours.OrderBy(k => k.Key), facts.OrderBy(k => k.Key));
    }
}
