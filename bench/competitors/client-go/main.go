// bench child: client-go, the reference the bench holds kubefetch to, doing what
// bench/child/kubefetch.mjs does against the same server. argv: task n kubeconfig
// Prints one JSON line: {"ms":..., "maxRss":..., "items":..., "rss10k":..., "rssEnd":..., "heapPerObject":...}.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, resident int64
	fmt.Sscan(string(b), &size, &resident)
	return resident * int64(os.Getpagesize())
}

func main() {
	task, nText, kubeconfig := os.Args[1], os.Args[2], os.Args[3]
	n, err := strconv.Atoi(nText)
	must(err)
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	must(err)
	// QPS limits off: the bench measures the client, not its rate limiter.
	cfg.QPS = -1
	cfg.Burst = -1
	if task == "list-proto" {
		cfg.ContentType = "application/vnd.kubernetes.protobuf"
		cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	}
	cs, err := kubernetes.NewForConfig(cfg)
	must(err)
	ctx := context.Background()
	pods := cs.CoreV1().Pods("default")
	get := func() {
		_, err := pods.Get(ctx, "web", metav1.GetOptions{})
		must(err)
	}
	out := map[string]any{}
	switch task {
	case "get-seq":
		for i := 0; i < 50; i++ {
			get()
		}
		t := time.Now()
		for i := 0; i < n; i++ {
			get()
		}
		out["ms"] = ms(time.Since(t))
	case "get-conc":
		for i := 0; i < 64; i++ {
			get()
		}
		t := time.Now()
		var wg sync.WaitGroup
		for w := 0; w < 64; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < n/64; i++ {
					get()
				}
			}()
		}
		wg.Wait()
		out["ms"] = ms(time.Since(t))
	case "list", "list-proto":
		_, err := pods.List(ctx, metav1.ListOptions{})
		must(err)
		t := time.Now()
		list, err := pods.List(ctx, metav1.ListOptions{})
		must(err)
		out["ms"] = ms(time.Since(t))
		out["items"] = len(list.Items)
	case "watch":
		w, err := pods.Watch(ctx, metav1.ListOptions{})
		must(err)
		seen := 0
		t := time.Now()
		for ev := range w.ResultChan() {
			if p, ok := ev.Object.(*corev1.Pod); !ok || p.Name == "" {
				must(fmt.Errorf("bad event %v", ev.Type))
			}
			seen++
			if seen == 10_000 {
				out["rss10k"] = rss()
			}
			if seen == n {
				break
			}
		}
		w.Stop()
		out["ms"] = ms(time.Since(t))
		out["rssEnd"] = rss()
	case "informer":
		// A shared informer over the namespace's ConfigMaps: time to HasSynced, and the heap
		// after GC per cached object (runtime.MemStats, as the issue asks), against the heap
		// before the informer started.
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		factory := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(os.Getenv("BENCH_NAMESPACE")))
		inf := factory.Core().V1().ConfigMaps().Informer()
		stop := make(chan struct{})
		t := time.Now()
		go inf.Run(stop)
		if !cache.WaitForCacheSync(stop, inf.HasSynced) {
			must(fmt.Errorf("informer did not sync"))
		}
		out["ms"] = ms(time.Since(t))
		items := len(inf.GetStore().ListKeys())
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		out["items"] = items
		if items > 0 {
			out["heapPerObject"] = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(items)
		}
		runtime.KeepAlive(inf)
		close(stop)
	default:
		must(fmt.Errorf("unknown task %q", task))
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		out["maxRss"] = ru.Maxrss * 1024
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}
