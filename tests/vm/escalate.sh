# tests/vm script (busybox sh, as root in the 7.2 guest, where fentry/fexit
# load): escalate-trace on its cheapest hook.  For each case, what the host
# checks lands under $OUT/escalate/; tests/61-escalate-guest.bats reads it.
#   known-HOOK  escalate_target doing known numbers of syscalls, traced with
#               --hook HOOK (auto, fentry, then tp_btf as a second opinion)
#   follow      --exec of a shell that forks two known targets
set -u
o=$OUT/escalate
mkdir -p "$o"
R=2000 F=300 M=50 E=7

# known HOOK: release a waiting escalate_target once the tracer is attached
# (loading hundreds of fentry programs under TCG on a loaded host can take
# minutes: wait up to 240 s, or until the tracer exits)
known() {
	rm -f /tmp/ready /tmp/err
	escalate_target -w -p -r $R -f $F -m $M -e $E >/tmp/ready &
	tpid=$!
	i=0
	until grep -q ready /tmp/ready || [ $i -ge 300 ]; do sleep 0.1; i=$((i + 1)); done
	escalate-trace -j -v --manual --pid $tpid --hook "$1" --trace-for 120s --top 50 \
		>"$o/known-$1.json" 2>/tmp/err &
	epid=$!
	i=0
	until grep -qs "tracing pid" /tmp/err || ! kill -0 $epid 2>/dev/null || [ $i -ge 2400 ]; do sleep 0.1; i=$((i + 1)); done
	kill -USR1 $tpid
	wait $tpid
	wait $epid
	echo $? >"$o/known-$1.rc"
	cp /tmp/err "$o/known-$1.err"
}
known auto
known fentry
known tp_btf
echo "$R $F $M $E" >"$o/known.args"

escalate-trace -j -v --exec "escalate_target -r 500; escalate_target -r 300" --runs 1 --min-samples 1 \
	--budget-us 1 --trace-for 120s --top 50 >"$o/follow.json" 2>"$o/follow.err"
echo $? >"$o/follow.rc"
# nothing left behind: no link, no escalate program
bpftool -j link show >"$o/links.json" 2>/dev/null
bpftool -j prog show >"$o/progs.json" 2>/dev/null
echo done
