using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace JailPS.Core.Simulation;

public sealed partial class SimulatedKernel
{
    private const int StateVersion = 1;

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private sealed class StateDto
    {
        public int Version { get; set; }
        public long Generation { get; set; }
        public int LastJid { get; set; }
        public int LastPid { get; set; }
        public long NextSerial { get; set; }
        public uint MaxAfIps { get; set; }
        public string HostName { get; set; } = "";
        public List<int> HostChildren { get; set; } = new();
        public List<JailDto> Jails { get; set; } = new();
        public List<ProcessDto> Processes { get; set; } = new();
        public int NextMountId { get; set; }
        public int MntIdBase { get; set; }
        /// <summary>Null in states written before mounts were modelled: the boot mounts stay.</summary>
        public List<MountDto>? Mounts { get; set; }
        public List<RulesetDto>? Rulesets { get; set; }
        /// <summary>Null in states written before interfaces were modelled: the boot interfaces stay.</summary>
        public List<InterfaceDto>? Interfaces { get; set; }
        public long NextLinkSerial { get; set; }
        public Dictionary<string, List<string>>? PfAnchors { get; set; }
        /// <summary>Null in states written before the pool was modelled: the boot pool stays.</summary>
        public List<SimulatedZfsDataset>? Zfs { get; set; }
        public List<string>? Immutable { get; set; }
        public List<string>? Rctl { get; set; }
        public Dictionary<int, List<int>>? Cpusets { get; set; }
    }

    private sealed class InterfaceDto
    {
        public string Name { get; set; } = "";
        public string Driver { get; set; } = "";
        public int Flags { get; set; }
        public bool Cloned { get; set; }
        public List<string> Addresses { get; set; } = new();
        /// <summary>The jid whose vnet it is in, and the one whose vnet made it; 0 = the host.</summary>
        public int Vnet { get; set; }
        public int Home { get; set; }
        public int Unit { get; set; } = -1;
        public string? Lladdr { get; set; }
        /// <summary>Indexes into the list: an epair's other side, the bridge it is a member of (-1: none).</summary>
        public int Peer { get; set; } = -1;
        public int MemberOf { get; set; } = -1;
    }

    private sealed class MountDto
    {
        public int Id { get; set; }
        public string FsType { get; set; } = "";
        public string On { get; set; } = "";
        public string From { get; set; } = "";
        public ulong Flags { get; set; }
        public ulong StatFlags { get; set; }
        public uint TypeNum { get; set; }
        public int FsId0 { get; set; }
        public int FsId1 { get; set; }
        public uint Owner { get; set; }
        public int CoveredId { get; set; }
        public int LowerId { get; set; }
        public int Busy { get; set; }
        public long TmpfsSize { get; set; }
        public int TmpfsMode { get; set; }
        public string? RulesetOpt { get; set; }
        public int Ruleset { get; set; }
        public List<DevNodeDto>? Nodes { get; set; }
        public List<string>? StandInDirectories { get; set; }
    }

    private sealed class DevNodeDto
    {
        public string Path { get; set; } = "";
        public bool Hidden { get; set; }
        public uint Uid { get; set; }
        public uint Gid { get; set; }
        public ushort Mode { get; set; }
    }

    private sealed class RulesetDto
    {
        public int Number { get; set; }
        public int RefCount { get; set; }
        /// <summary>Each rule as the base64 of its 236-byte struct devfs_rule.</summary>
        public List<string> Rules { get; set; } = new();
    }

    private sealed class JailDto
    {
        public int Jid { get; set; }
        public long Serial { get; set; }
        public int Parent { get; set; }
        public List<int> Children { get; set; } = new();
        public string State { get; set; } = "alive";
        public uint Flags { get; set; }
        public string Name { get; set; } = "";
        public string Path { get; set; } = "/";
        public string HostName { get; set; } = "";
        public string DomainName { get; set; } = "";
        public string HostUuid { get; set; } = "";
        public ulong HostId { get; set; }
        public string OsRelease { get; set; } = "";
        public int OsRelDate { get; set; }
        public string? Meta { get; set; }
        public string? Env { get; set; }
        public int SecureLevel { get; set; }
        public int EnforceStatfs { get; set; }
        public int DevfsRuleset { get; set; }
        public int ChildMax { get; set; }
        public int CpusetId { get; set; }
        public List<string>? Ip4 { get; set; }
        public List<string>? Ip6 { get; set; }
        public List<string> Allow { get; set; } = new();
        public Dictionary<string, int> Sysv { get; set; } = new();
        public int Holds { get; set; }
    }

    private sealed class ProcessDto
    {
        public int Pid { get; set; }
        public int Jid { get; set; }
        public string Command { get; set; } = "";
        public bool IgnoresSigterm { get; set; }
    }

    /// <summary>
    /// Writes the whole simulated host (jails with every parameter, processes, jid/pid allocation
    /// state, holds) to <paramref name="file"/> as JSON, replacing it atomically.
    /// </summary>
    public void SaveState(string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        string json;
        lock (_lock)
        {
            var dto = new StateDto
            {
                Version = StateVersion,
                Generation = _generation,
                LastJid = _lastprid,
                LastPid = _lastPid,
                NextSerial = _nextSerial,
                MaxAfIps = _maxAfIps,
                HostName = _prison0.HostName,
                HostChildren = _prison0.Children.Select(c => c.Id).ToList(),
            };
            foreach (var p in _allprison)
            {
                dto.Jails.Add(new JailDto
                {
                    Jid = p.Id,
                    Serial = p.Serial,
                    Parent = p.Parent!.Id,
                    Children = p.Children.Select(c => c.Id).ToList(),
                    State = p.IsAlive ? "alive" : "dying",
                    Flags = p.Flags,
                    Name = p.Name,
                    Path = p.Path,
                    HostName = p.HostName,
                    DomainName = p.DomainName,
                    HostUuid = p.HostUuid,
                    HostId = p.HostId,
                    OsRelease = p.OsRelease,
                    OsRelDate = p.OsRelDate,
                    Meta = p.Meta,
                    Env = p.Env,
                    SecureLevel = p.SecureLevel,
                    EnforceStatfs = p.EnforceStatfs,
                    DevfsRuleset = p.DevfsRuleset,
                    ChildMax = p.ChildMax,
                    CpusetId = p.CpusetId,
                    Ip4 = IpsToText(p.Ip4, 4),
                    Ip6 = IpsToText(p.Ip6, 6),
                    Allow = p.Allow.OrderBy(a => a, StringComparer.Ordinal).ToList(),
                    Sysv = p.SysvRoot.ToDictionary(kv => kv.Key, kv => kv.Value.Id, StringComparer.Ordinal),
                    Holds = p.Holds,
                });
                foreach (var proc in p.Processes)
                    dto.Processes.Add(new ProcessDto { Pid = proc.Pid, Jid = p.Id, Command = proc.Command, IgnoresSigterm = proc.IgnoresSigterm });
            }
            dto.NextMountId = _nextMountId;
            dto.MntIdBase = _mntIdBase;
            dto.Mounts = _mounts.Select(m => new MountDto
            {
                Id = m.Id, FsType = m.FsType, On = m.On, From = m.From, Flags = m.Flags, StatFlags = m.StatFlags,
                TypeNum = m.TypeNum, FsId0 = m.FsId0, FsId1 = m.FsId1, Owner = m.Owner, CoveredId = m.CoveredId,
                LowerId = m.LowerId, Busy = m.Busy, TmpfsSize = m.TmpfsSize, TmpfsMode = m.TmpfsMode,
                RulesetOpt = m.RulesetOpt, Ruleset = m.Ruleset,
                Nodes = m.Nodes?.Select(kv => new DevNodeDto { Path = kv.Key, Hidden = kv.Value.Hidden, Uid = kv.Value.Uid, Gid = kv.Value.Gid, Mode = kv.Value.Mode }).ToList(),
                StandInDirectories = m.StandInDirectories?.ToList(),
            }).ToList();
            dto.Rulesets = _rulesets.Values.Select(r => new RulesetDto
            {
                Number = r.Number,
                RefCount = r.RefCount,
                Rules = r.Rules.Select(RuleToText).ToList(),
            }).ToList();
            dto.Interfaces = _ifnet.Select(i => new InterfaceDto
            {
                Name = i.Name, Driver = i.Driver, Flags = i.Flags, Cloned = i.Cloned,
                Addresses = i.Addrs.Select(a => a.Text).ToList(),
                Vnet = i.Vnet.Id, Home = i.Home.Id, Unit = i.Unit,
                Lladdr = i.Lladdr is null ? null : Convert.ToHexString(i.Lladdr),
                Peer = i.Peer is null ? -1 : _ifnet.IndexOf(i.Peer),
                MemberOf = i.MemberOf is null ? -1 : _ifnet.IndexOf(i.MemberOf),
            }).ToList();
            dto.NextLinkSerial = _nextLinkSerial;
            dto.PfAnchors = _pfAnchors.ToDictionary(kv => kv.Key, kv => kv.Value.ToList(), StringComparer.Ordinal);
            dto.Zfs = _zfs.Select(Copy).ToList();
            dto.Immutable = _immutable.Count == 0 ? null : _immutable.ToList();
            dto.Rctl = _rctl.Count == 0 ? null : SaveRctl();
            dto.Cpusets = SaveCpusets();
            json = JsonSerializer.Serialize(dto, s_json);
        }
        string full = Path.GetFullPath(file);
        string dir = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(dir);
        string tmp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        File.WriteAllText(tmp, json);
        File.Move(tmp, full, overwrite: true);
    }

    /// <summary>Restores a simulated host written by <see cref="SaveState"/>.</summary>
    public static SimulatedKernel LoadState(string file, SimulatedKernelOptions options)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(options);
        var dto = JsonSerializer.Deserialize<StateDto>(File.ReadAllText(file), s_json)
            ?? throw new InvalidDataException("Empty simulated kernel state: " + file);
        if (dto.Version != StateVersion)
            throw new InvalidDataException("Unsupported simulated kernel state version " + dto.Version + " in " + file);
        var k = new SimulatedKernel(options);
        k.Restore(dto, file);
        return k;
    }

    /// <summary><see cref="LoadState"/> when the file exists, otherwise a new empty host.</summary>
    public static SimulatedKernel LoadOrCreate(string file, SimulatedKernelOptions options)
        => File.Exists(file) ? LoadState(file, options) : new SimulatedKernel(options);

    private void Restore(StateDto dto, string file)
    {
        var byId = new Dictionary<int, SimPrison> { [0] = _prison0 };
        foreach (var j in dto.Jails)
        {
            if (j.Jid <= 0 || byId.ContainsKey(j.Jid))
                throw new InvalidDataException("Bad or duplicate jid " + j.Jid + " in " + file);
            var p = new SimPrison
            {
                Id = j.Jid,
                Serial = j.Serial,
                State = j.State == "dying" ? PrisonState.Dying : PrisonState.Alive,
                Flags = j.Flags,
                Name = j.Name,
                Path = j.Path,
                HostName = j.HostName,
                DomainName = j.DomainName,
                HostUuid = j.HostUuid,
                HostId = j.HostId,
                OsRelease = j.OsRelease,
                OsRelDate = j.OsRelDate,
                Meta = j.Meta,
                Env = j.Env,
                SecureLevel = j.SecureLevel,
                EnforceStatfs = j.EnforceStatfs,
                DevfsRuleset = j.DevfsRuleset,
                ChildMax = j.ChildMax,
                CpusetId = j.CpusetId,
                Ip4 = IpsFromText(j.Ip4, 4),
                Ip6 = IpsFromText(j.Ip6, 6),
                Holds = j.Holds,
            };
            p.Allow.UnionWith(j.Allow);
            byId[j.Jid] = p;
        }
        SimPrison Get(int id) => byId.TryGetValue(id, out var p) ? p
            : throw new InvalidDataException("Reference to unknown jid " + id + " in " + file);
        foreach (var j in dto.Jails)
        {
            var p = byId[j.Jid];
            p.Parent = Get(j.Parent);
            foreach (var kv in j.Sysv) p.SysvRoot[kv.Key] = Get(kv.Value);
            InsertSorted(p);
        }
        foreach (var id in dto.HostChildren) _prison0.Children.Add(Get(id));
        foreach (var j in dto.Jails)
            foreach (var id in j.Children) byId[j.Jid].Children.Add(Get(id));
        foreach (var pd in dto.Processes)
        {
            var p = Get(pd.Jid);
            var proc = new SimProcess { Pid = pd.Pid, Command = pd.Command, IgnoresSigterm = pd.IgnoresSigterm, Prison = p };
            if (!_procs.TryAdd(pd.Pid, proc))
                throw new InvalidDataException("Duplicate pid " + pd.Pid + " in " + file);
            p.Processes.Add(proc);
        }
        _prison0.HostName = dto.HostName;
        _lastprid = dto.LastJid;
        _lastPid = dto.LastPid;
        // States written before prisons had serials: give each one now, above any saved.
        _nextSerial = Math.Max(dto.NextSerial, 1);
        foreach (var p in _allprison)
            if (p.Serial == 0) p.Serial = _nextSerial++;
        _maxAfIps = dto.MaxAfIps;
        _generation = dto.Generation;
        if (dto.Mounts is not null)
        {
            _mounts.Clear();
            foreach (var m in dto.Mounts)
            {
                var mp = new SimMount
                {
                    Id = m.Id, FsType = m.FsType, On = m.On, From = m.From, Flags = m.Flags, StatFlags = m.StatFlags,
                    TypeNum = m.TypeNum, FsId0 = m.FsId0, FsId1 = m.FsId1, Owner = m.Owner, CoveredId = m.CoveredId,
                    LowerId = m.LowerId, Busy = m.Busy, TmpfsSize = m.TmpfsSize, TmpfsMode = m.TmpfsMode,
                    RulesetOpt = m.RulesetOpt, Ruleset = (ushort)m.Ruleset,
                    StandInDirectories = m.StandInDirectories?.ToList(),
                };
                if (m.Nodes is not null)
                {
                    mp.Nodes = NewDevfsNodes();
                    foreach (var n in m.Nodes)
                    {
                        if (!mp.Nodes.TryGetValue(n.Path, out var de)) continue; // a node no longer in the device list
                        de.Hidden = n.Hidden; de.Uid = n.Uid; de.Gid = n.Gid; de.Mode = n.Mode;
                    }
                }
                _mounts.Add(mp);
            }
            _nextMountId = dto.NextMountId;
            _mntIdBase = dto.MntIdBase;
        }
        if (dto.Rulesets is not null)
        {
            foreach (var r in dto.Rulesets)
            {
                if (r.Number <= 0 || r.Number > ushort.MaxValue)
                    throw new InvalidDataException("Bad devfs ruleset number " + r.Number + " in " + file);
                var ds = new SimRuleset { Number = (ushort)r.Number, RefCount = r.RefCount };
                foreach (var t in r.Rules) ds.Rules.Add(RuleFromText(t, file));
                _rulesets[ds.Number] = ds;
            }
        }
        if (dto.Interfaces is not null)
        {
            _ifnet.Clear();
            foreach (var i in dto.Interfaces)
            {
                if (i.Name.Length == 0 || i.Name.Length >= JailPS.Native.InterfaceLimits.IfNamSize)
                    throw new InvalidDataException("Bad interface name '" + i.Name + "' in " + file);
                SimPrison VnetOf(int jid) => jid == 0 ? _prison0 : FindPrison(jid) ?? throw new InvalidDataException("Interface '" + i.Name + "' is in the vnet of jail " + jid + ", which " + file + " does not have");
                var ifp = new SimInterface
                {
                    Name = i.Name, Driver = i.Driver, Flags = i.Flags, Cloned = i.Cloned,
                    Vnet = VnetOf(i.Vnet), Home = VnetOf(i.Home), Unit = i.Unit,
                    Lladdr = i.Lladdr is null ? null : Convert.FromHexString(i.Lladdr),
                    Members = i.Driver == "bridge" ? new List<SimInterface>() : null,
                };
                foreach (string a in i.Addresses) ifp.Addrs.Add(SimulatedInterface.ParseAddress(a));
                _ifnet.Add(ifp);
            }
            for (int k = 0; k < dto.Interfaces.Count; k++)
            {
                var i = dto.Interfaces[k];
                if (i.Peer >= 0 && i.Peer < _ifnet.Count) _ifnet[k].Peer = _ifnet[i.Peer];
                if (i.MemberOf >= 0 && i.MemberOf < _ifnet.Count && _ifnet[i.MemberOf].Members is { } members)
                {
                    _ifnet[k].MemberOf = _ifnet[i.MemberOf];
                    members.Add(_ifnet[k]);
                }
            }
            _nextLinkSerial = dto.NextLinkSerial;
        }
        if (dto.PfAnchors is not null)
        {
            _pfAnchors.Clear();
            foreach (var kv in dto.PfAnchors) _pfAnchors[kv.Key] = kv.Value.ToList();
        }
        if (dto.Zfs is not null)
            _zfs = dto.Zfs.Select(Copy).ToList();
        _immutable = new SortedSet<string>(dto.Immutable ?? new List<string>(), StringComparer.Ordinal);
        LoadRctl(dto.Rctl);
        LoadCpusets(dto.Cpusets);
    }

    private static string RuleToText(JailPS.Native.DevfsRule rule)
    {
        var b = new byte[System.Runtime.InteropServices.Marshal.SizeOf<JailPS.Native.DevfsRule>()];
        System.Runtime.InteropServices.MemoryMarshal.Write(b, in rule);
        return Convert.ToBase64String(b);
    }

    private static JailPS.Native.DevfsRule RuleFromText(string text, string file)
    {
        byte[] b = Convert.FromBase64String(text);
        if (b.Length != System.Runtime.InteropServices.Marshal.SizeOf<JailPS.Native.DevfsRule>())
            throw new InvalidDataException("Bad devfs rule in " + file);
        return System.Runtime.InteropServices.MemoryMarshal.Read<JailPS.Native.DevfsRule>(b);
    }

    private static List<string>? IpsToText(byte[]? ips, int family)
    {
        if (ips is null) return null;
        int size = SimIp.Size(family);
        var list = new List<string>();
        for (int i = 0; i < ips.Length / size; i++)
            list.Add(new IPAddress(ips.AsSpan(i * size, size)).ToString());
        return list;
    }

    private static byte[]? IpsFromText(List<string>? text, int family)
    {
        if (text is null) return null;
        int size = SimIp.Size(family);
        var ips = new byte[text.Count * size];
        for (int i = 0; i < text.Count; i++)
        {
            var b = IPAddress.Parse(text[i]).GetAddressBytes();
            if (b.Length != size) throw new InvalidDataException("Address of the wrong family: " + text[i]);
            b.CopyTo(ips, i * size);
        }
        return ips;
    }
}

public sealed unsafe partial class SimulatedKernel
{
    /// <summary>
    /// Takes over what belongs to the calling process rather than to the shared host when the
    /// state is reloaded from another process's save: open descriptors (as a real process keeps
    /// its fds whatever other processes do; one whose mount is gone is dead, as after a forced
    /// unmount), injected faults, syscall counters and the caller's uid.
    /// </summary>
    internal void AdoptProcessState(SimulatedKernel previous)
    {
        lock (previous._lock)
        lock (_lock)
        {
            _fds.Clear();
            foreach (var (n, fd) in previous._fds)
                _fds[n] = new SimFd { Kind = fd.Kind, MountId = fd.MountId, IsRoot = fd.IsRoot, Family = fd.Family, PrisonSerial = fd.PrisonSerial, Owning = fd.Owning,
                    Dead = fd.Dead || (fd.Kind == SimFdKind.Vnode && !_mounts.Exists(m => m.Id == fd.MountId)) };
            _faults.Clear();
            _faults.AddRange(previous._faults);
            foreach (var (name, count) in previous._counts) _counts[name] = count;
            CallerUid = previous.CallerUid;
        }
    }
}
