//go:build linux

// Command delay holds every packet of one netfilter queue for a fixed time, then accepts
// it, in arrival order: a one-way network delay for kernels without sch_netem. The WAN
// benchmark (bench/wan/net.sh) sends every packet that enters a namespace's loopback
// through it with
//
//	iptables -t raw -A PREROUTING -i lo -j NFQUEUE --queue-num N
//
// so each packet is held once and a round trip costs twice the delay.
//
//	delay -queue 7 -delay 20ms
//
// It speaks the nfnetlink_queue protocol directly (copy mode "meta": only packet IDs
// come up, never payloads) and prints "ready" once the queue is bound, so a caller can
// add the iptables rule only then.
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// nfnetlink_queue constants (linux/netfilter/nfnetlink_queue.h).
const (
	subsysQueue     = 3
	msgPacket       = 0
	msgVerdict      = 1
	msgConfig       = 2
	msgVerdictBatch = 3

	attrPacketHdr  = 1
	attrVerdictHdr = 2

	cfgCmd      = 1
	cfgParams   = 2
	cfgMaxLen   = 3
	cfgMask     = 4
	cfgFlags    = 5
	cmdBind     = 1
	copyMeta    = 1
	flagGSO     = 4
	nfAccept    = 1
	nlmsgHdrLen = 16
)

type held struct {
	id  uint32
	due time.Time
}

func main() {
	queue := flag.Uint("queue", 7, "netfilter queue number")
	delay := flag.Duration("delay", 20*time.Millisecond, "how long each packet is held")
	maxLen := flag.Uint("maxlen", 1<<20, "packets the kernel may hold in the queue")
	flag.Parse()
	if err := run(uint16(*queue), *delay, uint32(*maxLen)); err != nil {
		fmt.Fprintln(os.Stderr, "delay:", err)
		os.Exit(1)
	}
}

func run(queue uint16, delay time.Duration, maxLen uint32) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_NETFILTER)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	// A large receive buffer, and no ENOBUFS error if it overflows anyway (the kernel then
	// keeps the packet queued; it is never lost, only its delay grows).
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 64<<20)
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_NO_ENOBUFS, 1)

	c := &conn{fd: fd, queue: queue}
	be32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	steps := [][]byte{
		attr(cfgCmd, []byte{cmdBind, 0, 0, unix.AF_INET}),
		attr(cfgParams, append(be32(0), copyMeta)),
		attr(cfgMaxLen, be32(maxLen)),
		append(attr(cfgFlags, be32(flagGSO)), attr(cfgMask, be32(flagGSO))...),
	}
	for _, a := range steps {
		if err := c.request(msgConfig, a); err != nil {
			return fmt.Errorf("configuring queue %d: %w", queue, err)
		}
	}

	due := make(chan held, 1<<20)
	errc := make(chan error, 2)
	go func() { errc <- c.accept(due, delay) }()
	go func() { errc <- c.read(due) }()
	fmt.Println("ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case <-sig:
		return nil
	case err := <-errc:
		return err
	}
}

type conn struct {
	fd    int
	queue uint16
	seq   uint32
}

// attr is one netlink attribute, padded to 4 bytes.
func attr(typ uint16, data []byte) []byte {
	b := binary.NativeEndian.AppendUint16(nil, uint16(4+len(data)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// msg builds a nfnetlink message of queue c.queue: nlmsghdr, nfgenmsg, attributes.
func (c *conn) msg(typ uint16, flags uint16, attrs []byte) []byte {
	c.seq++
	n := nlmsgHdrLen + 4 + len(attrs)
	b := binary.NativeEndian.AppendUint32(nil, uint32(n))
	b = binary.NativeEndian.AppendUint16(b, subsysQueue<<8|typ)
	b = binary.NativeEndian.AppendUint16(b, flags)
	b = binary.NativeEndian.AppendUint32(b, c.seq)
	b = binary.NativeEndian.AppendUint32(b, 0)
	b = append(b, unix.AF_UNSPEC, 0)
	b = binary.BigEndian.AppendUint16(b, c.queue)
	return append(b, attrs...)
}

// request sends a config message and waits for the kernel's acknowledgement.
func (c *conn) request(typ uint16, attrs []byte) error {
	if err := unix.Sendto(c.fd, c.msg(typ, unix.NLM_F_REQUEST|unix.NLM_F_ACK, attrs), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 8192)
	n, _, err := unix.Recvfrom(c.fd, buf, 0)
	if err != nil {
		return err
	}
	if n < nlmsgHdrLen+4 || binary.NativeEndian.Uint16(buf[4:]) != unix.NLMSG_ERROR {
		return errors.New("no acknowledgement")
	}
	if code := int32(binary.NativeEndian.Uint32(buf[nlmsgHdrLen:])); code != 0 {
		return syscall.Errno(-code)
	}
	return nil
}

// read takes every queued packet's ID and arrival time.
func (c *conn) read(due chan<- held) error {
	buf := make([]byte, 1<<20)
	for {
		n, _, err := unix.Recvfrom(c.fd, buf, 0)
		if err != nil {
			if err == unix.EINTR || err == unix.ENOBUFS {
				continue
			}
			return err
		}
		now := time.Now()
		for b := buf[:n]; len(b) >= nlmsgHdrLen; {
			l := int(binary.NativeEndian.Uint32(b))
			if l < nlmsgHdrLen || l > len(b) {
				break
			}
			typ := binary.NativeEndian.Uint16(b[4:])
			if typ == unix.NLMSG_ERROR && l >= nlmsgHdrLen+4 {
				if code := int32(binary.NativeEndian.Uint32(b[nlmsgHdrLen:])); code != 0 {
					return fmt.Errorf("verdict refused: %w", syscall.Errno(-code))
				}
			}
			if typ == subsysQueue<<8|msgPacket {
				if id, ok := packetID(b[nlmsgHdrLen+4 : l]); ok {
					due <- held{id: id, due: now}
				}
			}
			b = b[(l+3)&^3:]
		}
	}
}

// packetID finds NFQA_PACKET_HDR (packet_id, hw_protocol, hook) among the attributes.
func packetID(a []byte) (uint32, bool) {
	for len(a) >= 4 {
		l := int(binary.NativeEndian.Uint16(a))
		typ := binary.NativeEndian.Uint16(a[2:]) & 0x7fff
		if l < 4 || l > len(a) {
			return 0, false
		}
		if typ == attrPacketHdr && l >= 8 {
			return binary.BigEndian.Uint32(a[4:]), true
		}
		a = a[min((l+3)&^3, len(a)):]
	}
	return 0, false
}

// accept lets each packet go delay after it arrived. Packets leave in order, so one batch
// verdict accepts every packet up to the last one that is due.
func (c *conn) accept(due <-chan held, delay time.Duration) error {
	to := &unix.SockaddrNetlink{Family: unix.AF_NETLINK}
	for p := range due {
		for {
			if wait := time.Until(p.due.Add(delay)); wait > 0 {
				time.Sleep(wait)
			}
			last, next, more := p.id, held{}, false
		drain:
			for {
				select {
				case q := <-due:
					if time.Until(q.due.Add(delay)) > 0 {
						next, more = q, true
						break drain
					}
					last = q.id
				default:
					break drain
				}
			}
			if err := c.verdict(to, last); err != nil {
				return err
			}
			if !more {
				break
			}
			p = next
		}
	}
	return nil
}

func (c *conn) verdict(to unix.Sockaddr, id uint32) error {
	hdr := binary.BigEndian.AppendUint32(nil, nfAccept)
	hdr = binary.BigEndian.AppendUint32(hdr, id)
	return unix.Sendto(c.fd, c.msg(msgVerdictBatch, unix.NLM_F_REQUEST, attr(attrVerdictHdr, hdr)), 0, to)
}
