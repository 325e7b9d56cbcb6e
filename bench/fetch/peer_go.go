// bench/fetch peer: Go's net/http, a goroutine per URL, the default
// client (keep-alive, no bound on connections per host).
//
//	peer-go LIST [PRE POST]
//
// PRE and POST as in peer_requests.py, hashed with crypto/sha256 in the
// goroutine.  Exits 1 unless every response is a 200.
package main

import (
	"bufio"
	"crypto/sha256"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
)

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		os.Exit(2)
	}
	var urls []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		if u := strings.TrimSpace(s.Text()); u != "" {
			urls = append(urls, u)
		}
	}
	pre, post := 0, 0
	if len(os.Args) > 3 {
		pre, _ = strconv.Atoi(os.Args[2])
		post, _ = strconv.Atoi(os.Args[3])
	}
	zeros := make([]byte, pre+post+1)
	var wg sync.WaitGroup
	ok := make([]bool, len(urls))
	for i, u := range urls {
		wg.Add(1)
		go func(i int, u string) {
			defer wg.Done()
			if pre > 0 {
				sha256.Sum256(zeros[:pre])
			}
			r, err := http.Get(u)
			if err != nil {
				return
			}
			body, err := io.ReadAll(r.Body)
			r.Body.Close()
			if post > 0 {
				sha256.Sum256(zeros[:post])
			}
			ok[i] = err == nil && r.StatusCode == 200 && len(body) > 0
		}(i, u)
	}
	wg.Wait()
	for _, v := range ok {
		if !v {
			os.Exit(1)
		}
	}
}
