# A private nginx for kiln-fetch's tests and benchmark: sourced, not run.
#
#	nginx_start DIR    start it in DIR (made if needed); sets HTTP, HTTP2,
#	                   HTTPS, HTTPS_OTHER_CA, HTTPS_WRONG_NAME (ports),
#	                   HAVE_V6 (1 if it listens on ::1 too) and CA (the
#	                   test CA's certificate).  Returns 77 if nginx is not
#	                   installed, 99 if it does not start.
#	nginx_stop DIR     stop it (the caller's trap should call this)
#	nginx_log DIR      the access log: "CONN REQS REUSED STATUS URI" lines
#
# nginx runs as `nginx -p DIR -c DIR/nginx.conf` on loopback ports picked
# at random above 20000, never as the system's service.  Everything it
# writes stays in DIR.  Its site (DIR/www and the locations below):
#	/file.txt /big (20 MiB) /a/b/c.txt      static files
#	/delay?i=N         "delay N" after 50 ms (chunked, echo module)
#	/flag?i=N          4 KiB after 50 ms (a flag of the textbook)
#	/sleep/S           the same after S seconds
#	/chunked           a body in many chunks
#	/hop/N             302 to /hop/N-1 ... /hop/1 to /file.txt
#	/to-https          (on HTTP only) 302 to https://localhost:HTTPS/file.txt
#	/rel/abs /a/rel /rel/dots /rel/query /rel/scheme /rel/space
#	                   relative redirects (the last to "/a b c")
#	/r/nolocation      302 with an empty Location
#	/auth              "auth " and the Authorization header sent
#	/status/N          status N (404, 429, 500, 503)
#	/close/...         as /..., without keep-alive
#	/empty             closes without a response (444)
#	/never             headers never come (60 s)
#	/stall             a first line of body, then nothing (60 s)

NGINX=${NGINX:-nginx}
ECHO_MODULE=${ECHO_MODULE:-/usr/lib/nginx/modules/ngx_http_echo_module.so}

# make_certs DIR: a test CA, a second CA, and server certificates: one for
# localhost/127.0.0.1/::1 and one for another name, both from the first CA,
# and one for localhost from the second.
make_certs() {
	d=$1
	(
	cd "$d" || exit 1
	key() { openssl genpkey -algorithm EC -pkeyopt \
	    ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
	ca() {  # ca NAME SUBJECT
		key "$1.key" && openssl req -x509 -new -key "$1.key" \
		    -subj "$2" -days 2 -out "$1.crt" 2>/dev/null
	}
	leaf() {        # leaf NAME CA SAN
		key "$1.key" &&
		openssl req -new -key "$1.key" -subj "/CN=$1" \
		    -out "$1.csr" 2>/dev/null &&
		printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' \
		    "$3" >"$1.ext" &&
		openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" \
		    -CAcreateserial -days 2 -extfile "$1.ext" \
		    -out "$1.crt" 2>/dev/null
	}
	ca ca "/CN=kiln-fetch test CA" &&
	ca otherca "/CN=kiln-fetch other CA" &&
	leaf server ca "DNS:localhost,IP:127.0.0.1,IP:::1" &&
	leaf wrongname ca "DNS:wrong.example" &&
	leaf othercert otherca "DNS:localhost,IP:127.0.0.1"
	)
}

# The locations, the same in every server.
site_conf() {
	cat <<'SITE'
		root www;
		location = /delay { echo_sleep 0.05; echo "delay $arg_i"; }
		location = /flag {
			echo_sleep 0.05; echo "flag $arg_i";
			echo_duplicate 255 "0123456789abcdef";
		}
		location ~ ^/sleep/([0-9.]+)$ {
			echo_sleep $1; echo "slept $1 $arg_i";
		}
		location = /chunked {
			echo "first chunk"; echo_flush;
			echo_duplicate 3000 "0123456789abcdef"; echo_flush;
			echo "last chunk";
		}
		location = /hop/1 { return 302 /file.txt; }
		location = /hop/2 { return 302 /hop/1; }
		location = /hop/3 { return 302 /hop/2; }
		location = /hop/4 { return 302 /hop/3; }
		location = /rel/abs { return 302 /a/b/c.txt; }
		location = /a/rel {
			add_header Location "b/c.txt" always; return 302;
		}
		location = /rel/dots {
			add_header Location "./x/../../a/./b/c.txt" always;
			return 301;
		}
		location = /rel/query {
			if ($arg_q) { return 200 "query $arg_q\n"; }
			add_header Location "?q=1" always; return 303;
		}
		location = /rel/scheme {
			add_header Location "//$http_host/file.txt" always;
			return 307;
		}
		location = /rel/loop { return 302 /rel/loop; }
		location = /rel/space {
			add_header Location "/a b c" always; return 302;
		}
		location = /r/nolocation { return 302; }
		location = /auth { echo "auth $http_authorization"; }
		location = /status/404 { return 404 "not here\n"; }
		location = /status/500 { return 500 "boom\n"; }
		location = /status/503 { return 503 "later\n"; }
		location = /status/429 {
			add_header Retry-After 0 always; return 429 "slow down\n";
		}
		location /close/ {
			keepalive_timeout 0;
			rewrite ^/close(/.*)$ $1 break;
		}
		location = /empty { return 444; }
		location = /never { echo_sleep 60; echo "too late"; }
		location = /stall {
			echo "a first line"; echo_flush; echo_sleep 60;
			echo "too late";
		}
SITE
}

nginx_conf() {	# nginx_conf DIR
	d=$1
	listen6() { [ "$HAVE_V6" = 1 ] && echo "listen [::1]:$1 $2;"; }
	user=
	[ "$(id -u)" = 0 ] && user="user $(id -un) $(id -gn);"
	cat >"$d/nginx.conf" <<CONF
load_module $ECHO_MODULE;
$user
worker_processes 1;
error_log error.log;
pid nginx.pid;
lock_file nginx.lock;
events { worker_connections 2048; }
http {
	log_format kiln '\$connection \$connection_requests \$ssl_session_reused \$status \$request_uri';
	access_log access.log kiln;
	client_body_temp_path tmp/body;
	proxy_temp_path tmp/proxy;
	fastcgi_temp_path tmp/fastcgi;
	uwsgi_temp_path tmp/uwsgi;
	scgi_temp_path tmp/scgi;
	default_type application/octet-stream;
	absolute_redirect off;
	keepalive_requests 100000;
	ssl_protocols TLSv1.2 TLSv1.3;
	server {
		listen 127.0.0.1:$HTTP;
		$(listen6 "$HTTP")
		location = /to-https {
			return 302 https://localhost:$HTTPS/file.txt;
		}
$(site_conf)
	}
	server {
		listen 127.0.0.1:$HTTP2;
		$(listen6 "$HTTP2")
$(site_conf)
	}
	server {
		listen 127.0.0.1:$HTTPS ssl;
		$(listen6 "$HTTPS" ssl)
		ssl_certificate server.crt;
		ssl_certificate_key server.key;
$(site_conf)
	}
	server {
		listen 127.0.0.1:$HTTPS_OTHER_CA ssl;
		ssl_certificate othercert.crt;
		ssl_certificate_key othercert.key;
$(site_conf)
	}
	server {
		listen 127.0.0.1:$HTTPS_WRONG_NAME ssl;
		ssl_certificate wrongname.crt;
		ssl_certificate_key wrongname.key;
$(site_conf)
	}
}
CONF
}

nginx_start() {
	d=$1
	command -v "$NGINX" >/dev/null 2>&1 || { echo "no nginx"; return 77; }
	[ -f "$ECHO_MODULE" ] || { echo "no nginx echo module"; return 77; }
	mkdir -p "$d/www/a/b" "$d/tmp" || return 99
	# The cert files are read from DIR: nginx resolves them against -p.
	[ -f "$d/ca.crt" ] || make_certs "$d" || { echo "openssl failed"; return 99; }
	CA=$d/ca.crt
	echo "a small file" >"$d/www/file.txt"
	echo "c in a/b" >"$d/www/a/b/c.txt"
	echo "a b c" >"$d/www/a b c"
	[ -f "$d/www/big" ] || head -c 20971520 /dev/urandom >"$d/www/big"
	HAVE_V6=0
	if [ -r /proc/net/if_inet6 ] && grep -q '^0\{31\}1 ' /proc/net/if_inet6
	then
		HAVE_V6=1
	fi
	tries=0
	while [ $tries -lt 8 ]; do
		tries=$((tries + 1))
		base=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 2400 * 5))
		HTTP=$base HTTP2=$((base + 1)) HTTPS=$((base + 2))
		HTTPS_OTHER_CA=$((base + 3)) HTTPS_WRONG_NAME=$((base + 4))
		nginx_conf "$d"
		rm -f "$d/nginx.pid"
		if "$NGINX" -p "$d" -c "$d/nginx.conf" -e "$d/error.log" \
		    2>>"$d/start.log"; then
			n=0
			while [ ! -s "$d/nginx.pid" ] && [ $n -lt 100 ]; do
				sleep 0.05
				n=$((n + 1))
			done
			[ -s "$d/nginx.pid" ] && return 0
		fi
		# A port in use: try others.
		grep -q "in use" "$d/error.log" "$d/start.log" 2>/dev/null ||
		    break
	done
	echo "nginx did not start:"
	tail -5 "$d/error.log" "$d/start.log" 2>/dev/null
	return 99
}

nginx_stop() {
	d=$1
	[ -s "$d/nginx.pid" ] || return 0
	pid=$(cat "$d/nginx.pid")
	kill -TERM "$pid" 2>/dev/null
	n=0
	while kill -0 "$pid" 2>/dev/null && [ $n -lt 100 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	rm -f "$d/nginx.pid"
}

nginx_log() {
	cat "$1/access.log"
}
