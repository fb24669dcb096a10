import HACore
import Testing

/// Table test: each row is a trajectory of (state, event) -> (state, actions) steps.
@Suite struct HysteresisStateMachineTests {
    struct Step: Sendable {
        var input: HealthStatus
        var status: HealthStatus
        var streak: Int
        var changed: Bool
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var rise: Int
        var fall: Int
        var initial: HealthStatus
        var steps: [Step]
        var testDescription: String { name }
    }

    static func s(_ input: HealthStatus, _ status: HealthStatus, _ streak: Int, changed: Bool = false) -> Step {
        Step(input: input, status: status, streak: streak, changed: changed)
    }

    static let rows: [Row] = [
        Row(name: "rise 2 from the initial critical", rise: 2, fall: 2, initial: .critical, steps: [
            s(.passing, .critical, 1), s(.passing, .passing, 0, changed: true), s(.passing, .passing, 0),
        ]),
        Row(name: "rise 1 passes on the first result", rise: 1, fall: 3, initial: .critical, steps: [
            s(.passing, .passing, 0, changed: true),
        ]),
        Row(name: "fall 3 needs three failures in a row", rise: 2, fall: 3, initial: .passing, steps: [
            s(.critical, .passing, 1), s(.critical, .passing, 2), s(.critical, .critical, 0, changed: true),
        ]),
        Row(name: "a pass resets the fall count", rise: 2, fall: 2, initial: .passing, steps: [
            s(.critical, .passing, 1), s(.passing, .passing, 0), s(.critical, .passing, 1),
            s(.critical, .critical, 0, changed: true),
        ]),
        Row(name: "a failure resets the rise count", rise: 3, fall: 2, initial: .critical, steps: [
            s(.passing, .critical, 1), s(.passing, .critical, 2), s(.critical, .critical, 0),
            s(.passing, .critical, 1), s(.passing, .critical, 2), s(.passing, .passing, 0, changed: true),
        ]),
        Row(name: "warnings fall to warning", rise: 2, fall: 2, initial: .passing, steps: [
            s(.warning, .passing, 1), s(.warning, .warning, 0, changed: true), s(.warning, .warning, 0),
        ]),
        Row(name: "a mixed failing streak lands on the latest status", rise: 2, fall: 2, initial: .passing, steps: [
            s(.warning, .passing, 1), s(.critical, .critical, 0, changed: true),
        ]),
        Row(name: "warning to critical is a fall", rise: 2, fall: 2, initial: .warning, steps: [
            s(.critical, .warning, 1), s(.critical, .critical, 0, changed: true),
        ]),
        Row(name: "critical to warning is a rise", rise: 2, fall: 2, initial: .critical, steps: [
            s(.warning, .critical, 1), s(.warning, .warning, 0, changed: true),
        ]),
        Row(name: "a rising streak lands on its latest status", rise: 2, fall: 2, initial: .critical, steps: [
            s(.passing, .critical, 1), s(.warning, .warning, 0, changed: true),
            s(.passing, .warning, 1), s(.passing, .passing, 0, changed: true),
        ]),
        Row(name: "a change of direction restarts the count", rise: 2, fall: 2, initial: .warning, steps: [
            s(.passing, .warning, 1), s(.critical, .warning, 1), s(.passing, .warning, 1),
            s(.passing, .passing, 0, changed: true),
        ]),
        Row(name: "a flapping check keeps its status", rise: 2, fall: 2, initial: .passing, steps: [
            s(.critical, .passing, 1), s(.passing, .passing, 0), s(.critical, .passing, 1),
            s(.passing, .passing, 0), s(.critical, .passing, 1),
        ]),
    ]

    @Test(arguments: rows)
    func trajectory(_ row: Row) {
        var machine = HysteresisStateMachine(rise: row.rise, fall: row.fall, initial: row.initial)
        for (index, step) in row.steps.enumerated() {
            let before = machine.status
            let reason = step.input == .passing ? "" : "\(step.input) #\(index)"
            let actions = machine.handle(.result(CheckResult(status: step.input, reason: reason,
                                                             at: HealthTesting.at(Double(index)))))
            let expected: [HysteresisStateMachine.Action] = step.changed
                ? [.changed(from: before, to: step.status, reason: reason)] : []
            #expect(machine.status == step.status, "step \(index)")
            #expect(machine.streak == step.streak, "step \(index)")
            #expect(actions == expected, "step \(index)")
        }
    }

    @Test func reasonFollowsTheStatus() {
        var machine = HysteresisStateMachine(rise: 2, fall: 1)
        #expect(machine.reason == "no result yet")
        _ = machine.handle(.result(.critical("connect refused", at: .zero)))
        #expect(machine.reason == "connect refused")
        _ = machine.handle(.result(.critical("timeout after 1s", at: .zero)))
        #expect(machine.reason == "timeout after 1s")
        // One pass of two: still critical for the last failure's reason.
        _ = machine.handle(.result(.passing(at: .zero)))
        #expect(machine.status == .critical)
        #expect(machine.reason == "timeout after 1s")
        _ = machine.handle(.result(.passing(at: .zero)))
        #expect(machine.status == .passing)
        #expect(machine.reason == "")
    }

    @Test func initialPassingHasNoReason() {
        let machine = HysteresisStateMachine(rise: 1, fall: 1, initial: .passing)
        #expect(machine.status == .passing)
        #expect(machine.reason == "")
    }
}
