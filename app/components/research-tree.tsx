import { useTranslations } from "next-intl";
import { Icon } from "./icons";
import type { TreeNode } from "./task-stream-reducer";

const kindIcon = {
  question: "question",
  search: "search",
  learning: "bulb",
  thinking: "bulb",
  source: "doc",
} as const;
const kindLabel = {
  question: "kindQuestion",
  search: "kindSearch",
  learning: "kindLearning",
  thinking: "kindThinking",
  source: "kindSource",
} as const;

function Row({ node }: { node: TreeNode }) {
  const t = useTranslations("tree");
  if (node.kind === "thinking") {
    // A model's reasoning: folded away, never part of the report.
    return (
      <details className="tree-thinking">
        <summary>{t("thinking")}</summary>
        <p className="tree-thinking-text">{node.label}</p>
      </details>
    );
  }
  return (
    <div className="tree-row">
      <span className="tree-icon" title={t(kindLabel[node.kind])}>
        <Icon name={kindIcon[node.kind]} size={14} />
      </span>
      <span className="visually-hidden">{t("kindPrefix", { kind: t(kindLabel[node.kind]) })}</span>
      <span className="tree-label" title={node.kind === "learning" ? node.label : undefined}>
        {node.label}
      </span>
    </div>
  );
}

function Branch({ nodes, byParent }: { nodes: TreeNode[]; byParent: Map<string, TreeNode[]> }) {
  const t = useTranslations("tree");
  return (
    <ul className="tree-list">
      {nodes.map((node) => {
        const children = byParent.get(node.id) ?? [];
        const sources = children.filter((child) => child.kind === "source");
        const others = children.filter((child) => child.kind !== "source");
        return (
          <li key={node.id} className={`tree-node tree-${node.kind}`}>
            <Row node={node} />
            {sources.length > 0 ? (
              // Sources found by a search fold away: a deep research finds dozens.
              <details className="tree-sources">
                <summary>{t("sourcesFound", { count: sources.length })}</summary>
                <ul className="tree-list">
                  {sources.map((source) => (
                    <li key={source.id} className="tree-node tree-source">
                      <Row node={source} />
                    </li>
                  ))}
                </ul>
              </details>
            ) : null}
            {others.length > 0 ? <Branch nodes={others} byParent={byParent} /> : null}
          </li>
        );
      })}
    </ul>
  );
}

/** The research tree (sub-questions → searches → sources found), in the order it grew. */
export function ResearchTree({ nodes, sourceCount }: { nodes: TreeNode[]; sourceCount: number }) {
  const t = useTranslations("tree");
  const ids = new Set(nodes.map((node) => node.id));
  const roots: TreeNode[] = [];
  const byParent = new Map<string, TreeNode[]>();
  for (const node of nodes) {
    if (node.parentId && ids.has(node.parentId)) {
      const siblings = byParent.get(node.parentId) ?? [];
      siblings.push(node);
      byParent.set(node.parentId, siblings);
    } else {
      roots.push(node);
    }
  }
  const counts = { question: 0, search: 0, learning: 0, thinking: 0, source: 0 };
  for (const node of nodes) counts[node.kind] += 1;
  // Searches name the sub-question they belong to even when the engine sends no node for it.
  const questions =
    counts.question ||
    new Set(nodes.filter((node) => node.kind === "search").map((node) => node.parentId ?? node.id)).size;
  return (
    <div className="tree">
      <dl className="tree-stats">
        <div>
          <dt>{t("questions")}</dt>
          <dd>{questions}</dd>
        </div>
        <div>
          <dt>{t("searches")}</dt>
          <dd>{counts.search}</dd>
        </div>
        <div>
          <dt>{t("sources")}</dt>
          <dd>{sourceCount}</dd>
        </div>
      </dl>
      {nodes.length === 0 ? (
        <p className="muted small">{t("empty")}</p>
      ) : (
        <Branch nodes={roots} byParent={byParent} />
      )}
    </div>
  );
}
