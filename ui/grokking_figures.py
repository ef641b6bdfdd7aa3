"""Figures of the grokking page: pure functions from core/grokking/ results to (plotly figure, data).

Each returns the figure and the DataFrame of exactly what it plots (the page offers it as CSV).
No Streamlit here, so a notebook can draw the same figures.
"""
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core import grokking as gk
from ui.theme import ACCENT, MUTED, PRIMARY


def plotted(n: int, k: int = 600) -> np.ndarray:
    """About k log-spaced indices of an n-step curve: what a log-x axis can show."""
    return gk.log_steps(n - 1, k)


def loss_figure(run: gk.GrokRun):
    i = plotted(len(run.step))
    x = run.step[i] + 1  # log-x needs step >= 1
    data = pd.DataFrame({"step": run.step[i], "train": run.train_loss[i], "test": run.test_loss[i]})
    lazy = pd.DataFrame({"step": run.lazy_step, "lazy_train": run.lazy_train_loss, "lazy_test": run.lazy_test_loss})
    fig = go.Figure()
    fig.add_scatter(x=x, y=data.train, name="network: train", line=dict(color=PRIMARY, dash="dot"))
    fig.add_scatter(x=x, y=data.test, name="network: test (exact)", line=dict(color=PRIMARY, width=3))
    fig.add_scatter(x=lazy.step + 1, y=lazy.lazy_train, name="lazy model: train", line=dict(color=MUTED, dash="dot"))
    fig.add_scatter(x=lazy.step + 1, y=lazy.lazy_test, name="lazy model: test", line=dict(color=MUTED, width=3))
    fig.add_hline(y=run.kernel_loss, line=dict(color=MUTED, dash="dash"),
                  annotation_text="initial-NTK kernel regression", annotation_position="bottom left")
    if np.isfinite(run.t_test) and np.isfinite(run.t_train):
        fig.add_vrect(x0=run.t_train + 1, x1=run.t_test + 1, fillcolor=ACCENT, opacity=0.12, line_width=0)
        # on a log axis plotly places annotations in log10 units (shapes take data units)
        fig.add_annotation(x=np.log10(np.sqrt((run.t_train + 1) * (run.t_test + 1))), y=1, yref="paper",
                           text=f"grokking delay: {run.grokking_delay:.0f} steps", showarrow=False,
                           font=dict(color=ACCENT), yanchor="bottom")
    fig.add_hline(y=run.threshold, line=dict(color=ACCENT, dash="dot", width=1))
    fig.update_layout(title="Train and test loss: the network groks, its linearisation never does",
                      xaxis=dict(type="log", title="GD step + 1", range=[0, np.log10(len(run.step))]),
                      yaxis=dict(type="log", title="MSE (log)"), height=480,
                      legend=dict(orientation="h", y=-0.2, x=0, xanchor="left", yanchor="top"))
    return fig, data.merge(lazy, on="step", how="outer")


def mechanism_figure(run: gk.GrokRun):
    i = plotted(len(run.step), 300)
    terms = pd.DataFrame({"step": run.step[i], **{k: v[i] for k, v in run.loss_terms.items()},
                          "weight_norm": run.weight_norm[i]})
    align = pd.DataFrame({"step": run.align_step, "alignment": run.alignment})
    fig = make_subplots(1, 2, subplot_titles=("Test loss, term by term", "NTK-target alignment and weight norm"),
                        specs=[[{}, {"secondary_y": True}]])
    names = {"linear": "linear term a^2|dw|^2/D", "trace": "trace term (Tr Q/D)^2",
             "misalignment": "misalignment 2|Q|_F^2/D^2"}
    for (key, label), color in zip(names.items(), (MUTED, "#2F9E44", ACCENT)):
        fig.add_scatter(x=terms.step + 1, y=terms[key], name=label, line=dict(color=color), row=1, col=1)
    fig.add_scatter(x=terms.step + 1, y=sum(terms[k] for k in names), name="test loss (sum)",
                    line=dict(color=PRIMARY, width=3), row=1, col=1)
    fig.add_scatter(x=align.step + 1, y=align.alignment, name="alignment of the current NTK", mode="lines+markers",
                    line=dict(color=PRIMARY), row=1, col=2)
    fig.add_scatter(x=terms.step + 1, y=terms.weight_norm, name="|W|^2 / N", line=dict(color=MUTED, dash="dot"),
                    row=1, col=2, secondary_y=True)
    # a fixed axis from 0 to the ideal rich solution's alignment: autoscaling made a small rise look large
    fig.add_hline(y=run.ideal_alignment, line=dict(color=ACCENT, dash="dash"), row=1, col=2,
                  annotation_text=f"ideal rich solution: {run.ideal_alignment:.3f}", annotation_position="bottom right")
    fig.update_yaxes(range=[0, 1.1 * max(run.ideal_alignment, np.nanmax(align.alignment))], title="alignment",
                     row=1, col=2, secondary_y=False)
    fig.update_xaxes(type="log", title="GD step + 1")
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_layout(height=440, hovermode="x",
                      legend=dict(orientation="h", y=-0.25, x=0, xanchor="left", yanchor="top"))
    data = terms.merge(align, on="step", how="outer")
    data["ideal_alignment"] = run.ideal_alignment
    return fig, data


def alpha_figure(sweep: gk.AlphaSweep):
    """The paper's Fig. 3(a): train (dotted) and test (solid) loss for several alpha on one axis."""
    rows = []
    fig = go.Figure()
    palette = ("#74C0FC", "#339AF0", PRIMARY, "#1864AB", "#0B3D6E", "#051F38")
    for a, tr, te, color in zip(sweep.alphas, sweep.train, sweep.test, palette[-len(sweep.alphas):]):
        fig.add_scatter(x=sweep.step + 1, y=tr, name=f"alpha {a:g}: train", line=dict(color=color, dash="dot"),
                        legendgroup=f"{a:g}")
        fig.add_scatter(x=sweep.step + 1, y=te, name=f"alpha {a:g}: test", line=dict(color=color, width=3),
                        legendgroup=f"{a:g}")
        rows.append(pd.DataFrame({"alpha": a, "step": sweep.step, "train": tr, "test": te}))
    fig.add_hline(y=sweep.kernel_loss, line=dict(color=MUTED, dash="dash"),
                  annotation_text="initial-NTK kernel regression", annotation_position="bottom left")
    fig.add_hline(y=0.1, line=dict(color=ACCENT, dash="dot", width=1))
    fig.update_layout(title="Loss curves for several alpha (the paper's Fig. 3a): lazier means a longer wait",
                      xaxis=dict(type="log", title="GD step + 1"), yaxis=dict(type="log", title="MSE (log)"),
                      height=460, legend=dict(orientation="h", y=-0.2, x=0, xanchor="left", yanchor="top"))
    return fig, pd.concat(rows, ignore_index=True)


def sweep_figure(sweep: gk.DataSweep):
    ratio = sweep.P / sweep.D
    data = pd.DataFrame({"P": sweep.P, "P_over_D": ratio, "final_test": sweep.final_test,
                         "final_train": sweep.final_train, "kernel_regression": sweep.kernel_loss,
                         "t_train": sweep.t_train, "t_test": sweep.t_test, "delay": sweep.amount})
    fig = make_subplots(1, 2, subplot_titles=("Final loss against P/D", "Grokking delay against P/D"))
    fig.add_scatter(x=ratio, y=data.final_test, name="network: test", mode="lines+markers",
                    line=dict(color=PRIMARY), row=1, col=1)
    fig.add_scatter(x=ratio, y=data.final_train, name="network: train", mode="lines+markers",
                    line=dict(color=PRIMARY, dash="dot"), row=1, col=1)
    fig.add_scatter(x=ratio, y=data.kernel_regression, name="initial-NTK kernel regression", mode="lines+markers",
                    line=dict(color=MUTED), row=1, col=1)
    fig.add_scatter(x=ratio, y=data.delay, name="t_test - t_train", mode="lines+markers",
                    line=dict(color=ACCENT), row=1, col=2)
    never = ~np.isfinite(data.t_test)
    fig.add_scatter(x=ratio[never], y=np.zeros(never.sum()), name="test never < 0.1", mode="markers",
                    marker=dict(symbol="x", size=10, color=MUTED), row=1, col=2)
    for col in (1, 2):
        fig.add_vline(x=1, line=dict(color=MUTED, dash="dash"), row=1, col=col)
        fig.add_vline(x=(sweep.D + 3) / 2, line=dict(color=MUTED, dash="dash"), row=1, col=col)
    fig.add_annotation(x=np.log10((sweep.D + 3) / 2), y=0.02, yref="y domain", text=" D(D+3)/2",
                       showarrow=False, xanchor="left", yanchor="bottom", row=1, col=1)
    fig.update_xaxes(type="log", title="P / D")
    top = np.log10(np.nanmax(data[["final_test", "kernel_regression"]].to_numpy()))
    fig.update_yaxes(type="log", range=[-6, top + 0.3], title="MSE (log; below 1e-6 not shown)", row=1, col=1)
    fig.update_yaxes(title="steps", row=1, col=2)
    fig.update_layout(height=440, hovermode="x", margin=dict(t=70),
                      legend=dict(orientation="h", y=-0.25, x=0, xanchor="left", yanchor="top"))
    return fig, data


def phase_figure(pd_: gk.PhaseDiagram):
    amount = np.where(np.isfinite(pd_.amount), pd_.amount, np.nan)
    text = [[f"t_train {tr:.0f}, t_test {te:.0f}, final test {ft:.3f}" for tr, te, ft in zip(*rows)]
            for rows in zip(pd_.t_train, pd_.t_test, pd_.final_test)]
    fig = go.Figure(go.Heatmap(z=amount, x=[f"{e:g}" for e in pd_.epsilons], y=[f"{a:g}" for a in pd_.alphas],
                               colorscale="OrRd", colorbar=dict(title="steps"), text=text,
                               hovertemplate="alpha %{y}, eps %{x}<br>delay %{z:.0f}<br>%{text}<extra></extra>"))
    fig.update_layout(title="Amount of grokking, max(0, t_test(0.1) - t_train(0.1)); blank: test never < 0.1",
                      xaxis_title="eps (kernel-target alignment)", yaxis_title="alpha (laziness)", height=440,
                      plot_bgcolor="#E9ECEF", hovermode="closest")
    A, E = np.meshgrid(pd_.alphas, pd_.epsilons, indexing="ij")
    data = pd.DataFrame({"alpha": A.ravel(), "eps": E.ravel(), "t_train": pd_.t_train.ravel(),
                         "t_test": pd_.t_test.ravel(), "amount": pd_.amount.ravel(),
                         "final_test": pd_.final_test.ravel()})
    return fig, data
