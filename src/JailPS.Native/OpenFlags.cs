namespace JailPS.Native;

/// <summary>
/// FreeBSD open(2)/openat(2) flags, from sys/sys/fcntl.h. Several differ from Linux's values:
/// never use a Linux constant for FreeBSD.
/// </summary>
public static class OpenFlags
{
    public const int ReadOnly = 0x0000;             // O_RDONLY, sys/sys/fcntl.h
    public const int NoFollow = 0x0100;             // O_NOFOLLOW, sys/sys/fcntl.h
    public const int Directory = 0x00020000;        // O_DIRECTORY, sys/sys/fcntl.h
    public const int CloseOnExec = 0x00100000;      // O_CLOEXEC, sys/sys/fcntl.h
    public const int ResolveBeneath = 0x00800000;   // O_RESOLVE_BENEATH, sys/sys/fcntl.h
}
