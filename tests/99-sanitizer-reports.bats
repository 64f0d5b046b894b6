#!/usr/bin/env bats
# Runs last.  In the sanitizer passes of .ci/run (SANITIZE=thread for the
# threaded commands, then SANITIZE=1 for everything) every TSan/ASan/UBSan/LSan
# report of every process the suite started is written under $TELKIT_SAN_LOG
# (see the *SAN_OPTIONS there) instead of stderr, so a report from a process
# whose exit status no test checks still fails the suite here.

load test_helper

@test "no ThreadSanitizer, AddressSanitizer, UndefinedBehaviorSanitizer or LeakSanitizer report" {
	case ${TELKIT_SANITIZE:-} in 1|thread) ;; *) skip "not a sanitizer (SANITIZE=1 or thread) run" ;; esac
	[ -n "${TELKIT_SAN_LOG:-}" ] && [ -d "$TELKIT_SAN_LOG" ] ||
		skip "TELKIT_SAN_LOG unset: reports went to each test's stderr (.ci/run sets it)"
	bad=
	for f in "$TELKIT_SAN_LOG"/*; do
		[ -f "$f" ] || continue
		# LeakSanitizer cannot run under ptrace (strace): that is no finding
		if grep -q 'LeakSanitizer does not work under ptrace' "$f" &&
		   ! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer: detected)|runtime error:|ThreadSanitizer' "$f"; then
			continue
		fi
		bad="$bad$f:"$'\n'"$(head -c 4000 "$f")"$'\n'
	done
	[ -z "$bad" ] || fail "sanitizer reports:"$'\n'"$bad"
}
