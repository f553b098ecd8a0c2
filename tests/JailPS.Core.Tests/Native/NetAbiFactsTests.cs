using System.IO;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using JailPS.Native;

namespace JailPS.Core.Tests.Native;

/// <summary>
/// The interface ioctl numbers, bridge commands and structure layouts of JailPS.Native against the
/// facts sheets (freebsd-net-prov-facts.md §0–§1, freebsd-abi.md §9): each number as the sheet
/// gives it, and recomputed from its _IOW/_IOWR definition with the size of JailPS's own struct,
/// so a wrong layout fails as surely as a wrong constant.
/// </summary>
public class NetAbiFactsTests
{
    private sealed record IoctlFact(string Name, string Direction, int Number, string Struct, long Value);

    private static readonly Lazy<Dictionary<string, IoctlFact>> s_ioctls = new(LoadIoctls);

    internal static string NetFactsFile()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            string shared = Path.Combine(dir.FullName, "shared", "reference", "freebsd-net-prov-facts.md");
            if (File.Exists(shared)) return shared;
        }
        return Path.Combine(AppContext.BaseDirectory, "Facts", "net-facts.md");
    }

    /// <summary>"| NAME | `_IOWR('i', 124, struct ifreq)` | 0xC020697C |" rows of both sheets; the net sheet wins.</summary>
    private static Dictionary<string, IoctlFact> LoadIoctls()
    {
        var facts = new Dictionary<string, IoctlFact>(StringComparer.Ordinal);
        foreach (string file in new[] { AbiFactsTests.FactsFile(), NetFactsFile() })
            foreach (string line in File.ReadAllLines(file))
            {
                var m = Regex.Match(line, @"^\|\s*([A-Z][A-Z0-9_]+)\s*\|\s*`?_(IOW|IOWR|IOR)\('i',\s*(\d+),\s*struct (\w+)\)`?[^|]*\|\s*(0x[0-9A-Fa-f]+)");
                if (m.Success)
                    facts[m.Groups[1].Value] = new IoctlFact(m.Groups[1].Value, m.Groups[2].Value, int.Parse(m.Groups[3].Value), m.Groups[4].Value, Convert.ToInt64(m.Groups[5].Value[2..], 16));
            }
        return facts;
    }

    private static readonly Dictionary<string, int> s_structSizes = new()
    {
        ["ifreq"] = Marshal.SizeOf<IfReq>(),
        ["ifdrv"] = Marshal.SizeOf<IfDrv>(),
        ["ifaliasreq"] = Marshal.SizeOf<InAliasReq>(),
        ["in6_aliasreq"] = Marshal.SizeOf<In6AliasReq>(),
        ["in6_ifreq"] = Marshal.SizeOf<In6IfReq>(),
    };

    public static IEnumerable<object[]> InterfaceIoctlConstants() =>
        typeof(InterfaceIoctls).GetFields().Where(f => f.IsLiteral).Select(f => new object[] { f.Name, (ulong)f.GetRawConstantValue()! });

    [Theory]
    [MemberData(nameof(InterfaceIoctlConstants))]
    public void Interface_ioctl_matches_the_facts_and_its_definition_with_our_struct_size(string name, ulong value)
    {
        Assert.True(s_ioctls.Value.TryGetValue(name, out var fact), $"{name} is not in the facts sheets");
        Assert.Equal(fact!.Value, (long)value);
        // sys/sys/ioccom.h: _IOC(inout, group, num, len) = inout | ((len & 0x1fff) << 16) | (group << 8) | num.
        ulong inout = fact.Direction switch { "IOW" => 0x80000000UL, "IOR" => 0x40000000UL, _ => 0xC0000000UL };
        Assert.True(s_structSizes.TryGetValue(fact.Struct, out int size), $"no JailPS struct for struct {fact.Struct}");
        Assert.Equal(inout | ((ulong)(size & 0x1fff) << 16) | ((ulong)'i' << 8) | (ulong)fact.Number, value);
    }

    [Fact]
    public void Bridge_commands_match_the_facts()
    {
        var rows = File.ReadAllLines(NetFactsFile())
            .Select(l => Regex.Match(l, @"^\|\s*(BRDG[A-Z]+)\s*\|\s*(\d+)\s*\|"))
            .Where(m => m.Success).ToDictionary(m => m.Groups[1].Value, m => ulong.Parse(m.Groups[2].Value));
        Assert.Equal(rows["BRDGADD"], BridgeCommands.BRDGADD);
        Assert.Equal(rows["BRDGDEL"], BridgeCommands.BRDGDEL);
        Assert.Equal(rows["BRDGGIFS"], BridgeCommands.BRDGGIFS);
        // §1.11: IFBIF_LEARNING 0x1, IFBIF_DISCOVER 0x2 for a new member.
        Assert.Equal(0x3u, BridgeCommands.NewMemberFlags);
    }

    [Fact]
    public void Structure_layouts_match_the_facts()
    {
        // §1.3 struct ifdrv (40): ifd_name @0, ifd_cmd @16, ifd_len @24, ifd_data @32.
        Assert.Equal(40, Marshal.SizeOf<IfDrv>());
        Assert.Equal(16, (int)Marshal.OffsetOf<IfDrv>(nameof(IfDrv.Cmd)));
        Assert.Equal(24, (int)Marshal.OffsetOf<IfDrv>(nameof(IfDrv.Len)));
        Assert.Equal(32, (int)Marshal.OffsetOf<IfDrv>(nameof(IfDrv.Data)));
        // §1.3 struct ifbreq (80): ifbr_ifsname @0, ifbr_ifsflags @16; struct ifbifconf (16): len @0, buffer @8.
        Assert.Equal(80, Marshal.SizeOf<IfBReq>());
        Assert.Equal(16, (int)Marshal.OffsetOf<IfBReq>(nameof(IfBReq.IfsFlags)));
        Assert.Equal(16, Marshal.SizeOf<IfBIfConf>());
        Assert.Equal(8, (int)Marshal.OffsetOf<IfBIfConf>(nameof(IfBIfConf.Req)));
        // §1.2 struct ifreq (32): the union at 16 — ifr_flags/flagshigh @16/@18, ifr_jid @16, ifr_data @16, ifr_addr sa_len @16, sa_family @17, sa_data @18.
        Assert.Equal(32, Marshal.SizeOf<IfReq>());
        Assert.Equal(18, (int)Marshal.OffsetOf<IfReq>(nameof(IfReq.FlagsHigh)));
        Assert.Equal(16, (int)Marshal.OffsetOf<IfReq>(nameof(IfReq.Jid)));
        Assert.Equal(16, (int)Marshal.OffsetOf<IfReq>(nameof(IfReq.Data)));
        Assert.Equal(16, (int)Marshal.OffsetOf<IfReq>(nameof(IfReq.SaLen)));
        Assert.Equal(17, (int)Marshal.OffsetOf<IfReq>(nameof(IfReq.SaFamily)));
        Assert.Equal(18, (int)Marshal.OffsetOf<IfReq>(nameof(IfReq.SaData)));
        // struct sockaddr_dl, sys/net/if_dl.h (freebsd-src @00176600): 54 bytes, nlen @5, alen @6, data @8.
        Assert.Equal(SocketConstants.SockAddrDlSize, Marshal.SizeOf<SockAddrDl>());
        Assert.Equal(5, (int)Marshal.OffsetOf<SockAddrDl>(nameof(SockAddrDl.NameLen)));
        Assert.Equal(6, (int)Marshal.OffsetOf<SockAddrDl>(nameof(SockAddrDl.AddrLen)));
        Assert.Equal(8, (int)Marshal.OffsetOf<SockAddrDl>(nameof(SockAddrDl.Data)));
        // §1.3 struct ifaddrs (56).
        Assert.Equal(56, Marshal.SizeOf<IfAddrs>());
    }

    [Fact]
    public void Flags_and_families_match_the_facts()
    {
        var flags = File.ReadAllLines(NetFactsFile())
            .SelectMany(l => Regex.Matches(l, @"\|\s*(IFF_[A-Z_]+)\s*\|\s*(0x[0-9a-fA-F]+)").Cast<Match>())
            .ToDictionary(m => m.Groups[1].Value, m => Convert.ToInt32(m.Groups[2].Value[2..], 16));
        Assert.Equal(flags["IFF_UP"], InterfaceFlags.Up);
        Assert.Equal(flags["IFF_BROADCAST"], InterfaceFlags.Broadcast);
        Assert.Equal(flags["IFF_LOOPBACK"], InterfaceFlags.Loopback);
        Assert.Equal(flags["IFF_DRV_RUNNING"], InterfaceFlags.DrvRunning);
        Assert.Equal(flags["IFF_PROMISC"], InterfaceFlags.Promisc);
        Assert.Equal(flags["IFF_SIMPLEX"], InterfaceFlags.Simplex);
        Assert.Equal(flags["IFF_MULTICAST"], InterfaceFlags.Multicast);
        // freebsd-abi.md §9: AF_INET 2, AF_INET6 28 (FreeBSD's value), SOCK_DGRAM 2; sys/sys/socket.h (freebsd-src @00b5ffde): AF_LINK 18.
        Assert.Equal((2, 28, 2, 18), (SocketConstants.AfInet, SocketConstants.AfInet6, SocketConstants.SockDgram, SocketConstants.AfLink));
        Assert.Equal(16, InterfaceLimits.IfNamSize); // §1.2 IFNAMSIZ, NUL included
    }

    [Fact]
    public void Net_facts_copy_matches_shared_sheet_when_present()
    {
        string copy = Path.Combine(AppContext.BaseDirectory, "Facts", "net-facts.md");
        string used = NetFactsFile();
        if (used == copy) return;
        Assert.Equal(File.ReadAllText(used), File.ReadAllText(copy));
    }
}
