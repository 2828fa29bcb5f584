# SPDX-License-Identifier: MIT
# ADD latency against N for every implementation (tests/bench/compare.sh).
# gnuplot -e "datafile='add-latency.dat'; outfile='add-latency.png'; ncols=6; machine='...'" plot.gp
# datafile: a header line "N impl1 impl2 ...", then one line per N with the
# median ADD time in ms of each implementation.

if (!exists("datafile")) datafile = 'build/bench/add-latency.dat'
if (!exists("outfile")) outfile = 'build/bench/add-latency.png'
if (!exists("ncols")) ncols = 6
if (!exists("machine")) machine = ''

set terminal pngcairo size 960,600 font ",11"
set output outfile
set title "CNI ADD wall time (median) with N attachments present, one published TCP port each"
set label 1 machine at screen 0.01, screen 0.03 font ",9"
set bmargin 5
set xlabel "N (attachments already present)"
set ylabel "ADD wall time, ms (log scale)"
set logscale x
set logscale y
set grid xtics ytics mytics
set key outside right top autotitle columnhead
set linetype 1 lc rgb "#1b9e77"
set linetype 2 lc rgb "#66a61e"
set linetype 3 lc rgb "#7570b3"
set linetype 4 lc rgb "#d95f02"
set linetype 5 lc rgb "#e7298a"
set xrange [0.7:*]
plot for [c=2:ncols] datafile using 1:c with linespoints lw 2 pt (c+4) ps 1.3
