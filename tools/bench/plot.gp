# SPDX-License-Identifier: GPL-2.0
# bench.dat (tools/bench/bench.py) to a PNG: a panel per chunk size, the
# four ways side by side per mode, the peers beside them.
#   gnuplot -e "dat='bench.dat'; png='bench.png'; chunks='4K 64K 1M'; clock='...'" plot.gp
set terminal pngcairo size 900,900 font ",10"
set output png
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set yrange [0:*]
set ylabel "MiB/s per CPU second"
set key outside top center horizontal maxrows 1
set datafile missing "-"
n = words(chunks)
set multiplot layout n,1 title sprintf("zcstat run over veth: module not loaded, loaded idle, others traced, this traced (%s)", clock)
do for [i = 1:n] {
	set title sprintf("%s chunks", word(chunks, i))
	# One key, above the first panel, clear of the bars.
	if (i == 2) { unset key }
	plot dat index (i - 1) using 2:xtic(1) title "not loaded" lc rgb "#4e79a7", \
	     '' index (i - 1) using 3 title "idle" lc rgb "#59a14f", \
	     '' index (i - 1) using 4 title "another process traced" lc rgb "#f28e2b", \
	     '' index (i - 1) using 5 title "session" lc rgb "#e15759"
}
unset multiplot
