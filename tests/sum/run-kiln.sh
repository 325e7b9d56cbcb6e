# Sourced by errors.sh in a shell of another user: just run_kiln.
KILN_SUM=${KILN_SUM:?}
run_kiln() {
	cfg=$1
	shift
	case $cfg in
	w1) "$KILN_SUM" -w 1 "$@" ;;
	w2) "$KILN_SUM" -w 2 "$@" ;;
	nouring) KILN_NO_URING=1 "$KILN_SUM" -w 2 "$@" ;;
	esac
}
