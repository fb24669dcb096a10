import Foundation
import FuzzSupport
import GaleraProbe
import HACore

/// libFuzzer target: a Galera peer report (`POST /v1/galera/peer`, `GET /v1/galera`) as a peer or the
/// CLI decodes it, and what the writer rule (`WriterTakeover`) does with it: the seconds fields to
/// `Duration`s, the candidacy `received - passing_for`, the "confirms Primary" test, then
/// `WriterChoice` and `WriterHoldout` rounds, and a whole `WriterTakeover` round. Input: 8 bytes of the receive
/// instant (any `Int64` nanoseconds), then the JSON body.
///
/// Must never trap; decoded seconds are nil or within 0...`GaleraReport.maxSeconds`; a passing
/// candidate's start is never after the receive instant; a decoded report re-encodes to itself.
enum FuzzPeerAnswer {
    static let interval: Duration = .seconds(2)

    static func one(_ data: [UInt8]) {
        var input = FuzzReader(data)
        let received = MonotonicInstant(nanoseconds: input.int64())
        let body = Data(input.rest())
        let report: GaleraReport
        do { report = try JSONDecoder().decode(GaleraReport.self, from: body) } catch {
            fuzzNote("not a report: \(error)")
            return
        }
        fuzzNote("report: \(report)")

        for seconds in [report.passingForSeconds, report.ageSeconds, report.statusAgeSeconds] {
            if let seconds {
                fuzzCheck(seconds.isFinite && seconds >= 0 && seconds <= GaleraReport.maxSeconds,
                          "unbounded seconds kept: \(seconds)")
            }
            if let duration = GaleraReport.boundedDuration(seconds) {
                fuzzCheck(duration >= .zero && duration <= .seconds(GaleraReport.maxSeconds), "duration \(duration)")
            }
        }

        // The writer rule's reading of a peer report (WriterTakeover, as the tracker runs it).
        let candidate = WriterTakeover.candidate(report, received: received)
        if let since = candidate.passingSince {
            fuzzCheck(since <= received, "candidate passing since \(since), after \(received)")
        }
        let confirms = WriterTakeover.confirmsPrimary(report, window: interval * HealthBoard.staleFactor, clusterUUID: nil)

        var choice = WriterChoice(holdDown: .seconds(30))
        let local = WriterChoice.Candidate.passing("fuzz-local", since: received - .seconds(5))
        _ = choice.update([local, candidate], now: received)
        _ = choice.update([candidate, local], now: received + interval)
        var holdout = WriterHoldout(node: "fuzz-local", controllers: 3, takeoverDelay: interval * 2)
        let peer = WriterHoldout.Peer(name: report.node, heard: true, confirmsPrimary: confirms,
                                      claimsWriter: report.writer == report.node && report.status == .passing)
        fuzzNote("candidate \(candidate), confirms Primary: \(confirms), writer \(choice.writer ?? "none")")
        for step in 0..<2 {
            let round = WriterHoldout.Round(writer: choice.writer ?? report.writer,
                                            local: .passing(viewSize: report.wsrep?.clusterSize),
                                            drained: false, peers: [peer, .unheard("fuzz-third")])
            _ = holdout.handle(.round(round), now: received + interval * step)
        }

        var takeover = WriterTakeover(node: "fuzz-local", controllers: 3, holdDown: .seconds(30),
                                      takeoverDelay: interval * 2, statusWindow: interval * HealthBoard.staleFactor)
        _ = takeover.handle(.round(.init(seen: [.local(local), .report(report, received: received), .unheard("fuzz-third")],
                                         local: .passing(viewSize: report.wsrep?.clusterSize))), now: received)

        // What an agent serves for a report decodes back to the same report.
        if let encoded = try? JSONEncoder().encode(report) {
            let again = try? JSONDecoder().decode(GaleraReport.self, from: encoded)
            fuzzCheck(again == report, "re-encoded report differs")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPeerAnswer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzPeerAnswer.one(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

#if !HACTL_FUZZ
@main struct FuzzPeerAnswerReplay {
    static func main() { FuzzSupport.replayMain(FuzzPeerAnswer.one) }
}
#endif
