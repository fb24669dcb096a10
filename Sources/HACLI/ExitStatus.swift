/// SPEC §2 exit codes.
public enum ExitStatus {
    public static let ok: Int32 = 0
    public static let failed: Int32 = 1
    public static let usage: Int32 = 2
    public static let degraded: Int32 = 3
    public static let unreachable: Int32 = 4
}
