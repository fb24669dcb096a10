// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "hactl",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hactl", targets: ["hactl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // HMAC-SHA256 for signed admin and peer calls (and heartbeats later).
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    ],
    targets: [
        // System libraries: only the module that needs one imports it.
        .systemLibrary(name: "CNetlink", pkgConfig: "libnl-route-3.0",
                       providers: [.apt(["libnl-route-3-dev"])]),
        .systemLibrary(name: "CMariaDB", pkgConfig: "libmariadb",
                       providers: [.apt(["libmariadb-dev"])]),
        .systemLibrary(name: "CRabbitMQ", pkgConfig: "librabbitmq",
                       providers: [.apt(["librabbitmq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),

        .target(name: "HACore", dependencies: [
            "CCurl", "CMariaDB",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], swiftSettings: swiftSettings),
        .target(name: "VIPManager", dependencies: [
            "HACore", "CNetlink",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ], swiftSettings: swiftSettings),
        .target(name: "GaleraProbe", dependencies: [
            "HACore",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        .target(name: "MQProbe", dependencies: [
            "HACore", "CRabbitMQ", .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        .target(name: "ComputeHA", dependencies: [
            "HACore", .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        .target(name: "HAAgent", dependencies: [
            "HACore", "VIPManager", "GaleraProbe", "MQProbe", "ComputeHA",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], swiftSettings: swiftSettings),
        .target(name: "HACLI", dependencies: [
            "HACore", "HAAgent",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/HACLI", swiftSettings: swiftSettings),
        .executableTarget(name: "hactl", dependencies: ["HACLI"], swiftSettings: swiftSettings),

        // libFuzzer targets (docs/testing.md, "Fuzzing"). scripts/fuzz.sh builds each with
        // `--sanitize=fuzzer -Xswiftc -DHACTL_FUZZ`: libFuzzer supplies main. In a normal build each
        // has a replay main (`swift run FuzzX FILE-OR-DIR...`), so `swift build` keeps them compiling.
        .target(name: "FuzzSupport", swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzSignedCall", dependencies: ["FuzzSupport", "HACore"],
                          swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzRequestTarget", dependencies: [
            "FuzzSupport", "HACore", .product(name: "HummingbirdCore", package: "hummingbird"),
        ], swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzVRRPCodec", dependencies: ["FuzzSupport", "HACore", "VIPManager"],
                          swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzPeerAnswer", dependencies: ["FuzzSupport", "HACore", "GaleraProbe"],
                          swiftSettings: swiftSettings),

        // Helpers more than one test target needs (a local mariadbd, scripted probe workers).
        .target(name: "HATestSupport", dependencies: ["HACore"], path: "Tests/HATestSupport",
                swiftSettings: swiftSettings),
        .testTarget(name: "HACoreTests", dependencies: [
            "HACore", "HATestSupport",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], swiftSettings: swiftSettings),
        .testTarget(name: "VIPManagerTests", dependencies: ["VIPManager", "HACore"], swiftSettings: swiftSettings),
        .testTarget(name: "HAAgentTests", dependencies: [
            "HAAgent", "HACore",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ], swiftSettings: swiftSettings),
        .testTarget(name: "GaleraProbeTests", dependencies: ["GaleraProbe", "HACore", "HATestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "MQProbeTests", dependencies: ["MQProbe", "HACore", "HATestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "ComputeHATests", dependencies: [
            "ComputeHA", "HACore", "HATestSupport", .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        .testTarget(name: "HACLITests", dependencies: ["HACLI", "HACore"], swiftSettings: swiftSettings),
        .testTarget(name: "IntegrationTests", dependencies: ["HACore"], swiftSettings: swiftSettings),
    ]
)
