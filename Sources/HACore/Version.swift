public enum HACoreVersion { public static let string = "0.1.0" }
