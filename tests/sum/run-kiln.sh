# run_kiln CONFIG ARGS...: kiln-sum in one of the configurations of
# lib.sh's CONFIGS.  Sourced by lib.sh, and by errors.sh in a shell of
# another user.
KILN_SUM=${KILN_SUM:?}
run_kiln() {
	cfg=$1
	shift
	case $cfg in
	w1) "$KILN_SUM" -w 1 "$@" ;;
	w2) "$KILN_SUM" -w 2 "$@" ;;
	nouring) KILN_NO_URING=1 "$KILN_SUM" -w 2 "$@" ;;
	*) echo "bad config $cfg" >&2; return 99 ;;
	esac
}
